using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity;

/// <summary>Creates the signed JWTs: RFC 9068 access tokens and OIDC ID tokens.</summary>
internal sealed class TokenFactory(SigningKeyManager keys, IOptions<IdentityOptions> options, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Lifetime of logout tokens: long enough for a few delivery retries, short enough that a leaked one soon expires.</summary>
    public static readonly TimeSpan LogoutTokenLifetime = TimeSpan.FromMinutes(2);

    /// <summary>JWT <c>typ</c> of ID tokens: plain "JWT", unlike access tokens (at+jwt) and logout tokens (logout+jwt).</summary>
    public const string IdentityTokenType = "JWT";

    public TimeSpan AccessTokenLifetime => options.Value.AccessTokenLifetime;

    public async Task<(string Token, string Jti, DateTimeOffset ExpiresAt)> CreateAccessTokenAsync(
        string issuer, string subject, string clientId, IReadOnlyCollection<string> scopes, IDictionary<string, object>? extraClaims, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.AccessTokenLifetime;
        var jti = NewJti();
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Sub] = subject,
            ["client_id"] = clientId,
            [JwtRegisteredClaimNames.Jti] = jti,
            ["scope"] = string.Join(' ', scopes),
        };
        if (extraClaims is not null)
        {
            foreach (var (name, value) in extraClaims)
            {
                claims[name] = value;
            }
        }

        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = options.Value.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            TokenType = IdentityConstants.AccessTokenType,
            Claims = claims,
            SigningCredentials = await keys.GetSigningCredentialsAsync(cancellationToken),
        });
        return (token, jti, expires);
    }

    public async Task<string> CreateIdentityTokenAsync(string issuer, string audience, IDictionary<string, object> claims, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            Expires = (now + options.Value.IdentityTokenLifetime).UtcDateTime,
            TokenType = IdentityTokenType,
            Claims = claims,
            SigningCredentials = await keys.GetSigningCredentialsAsync(cancellationToken),
        });
    }

    public async Task<string> CreateJwtAsync(string issuer, string audience, string type, TimeSpan lifetime, IDictionary<string, object> claims, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            TokenType = type,
            Claims = claims,
            SigningCredentials = await keys.GetSigningCredentialsAsync(cancellationToken),
        });
    }

    /// <summary>
    /// A logout token (OpenID Connect Back-Channel Logout 1.0 §2.4): <c>typ</c> logout+jwt, <c>aud</c> the client, <c>sub</c>
    /// and <c>sid</c> of the ended session, a fresh <c>jti</c>, the back-channel logout event, no <c>nonce</c>; valid 2 minutes.
    /// </summary>
    public Task<string> CreateLogoutTokenAsync(string issuer, string clientId, string subject, string sessionId, CancellationToken cancellationToken) =>
        CreateJwtAsync(issuer, clientId, IdentityConstants.LogoutTokenType, LogoutTokenLifetime, new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Sub] = subject,
            ["sid"] = sessionId,
            [JwtRegisteredClaimNames.Jti] = NewJti(),
            ["events"] = new Dictionary<string, object>(StringComparer.Ordinal) { [IdentityConstants.BackChannelLogoutEvent] = new Dictionary<string, object>() },
        }, cancellationToken);

    /// <summary>Validates a token this provider signed (signature, issuer, optionally audience and lifetime).</summary>
    public async Task<TokenValidationResult> ValidateAsync(string token, string issuer, string? audience, bool validateLifetime, CancellationToken cancellationToken)
    {
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidateAudience = audience is not null,
            ValidAudience = audience,
            ValidateLifetime = validateLifetime,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeys = await keys.GetValidationKeysAsync(cancellationToken),
            ClockSkew = TimeSpan.FromSeconds(60),
            LifetimeValidator = validateLifetime ? (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return (notBefore is null || notBefore <= now.AddSeconds(60)) && expires is not null && expires > now.AddSeconds(-60);
            } : null,
        };
        return await Handler.ValidateTokenAsync(token, parameters);
    }

    /// <summary>
    /// An ID token this provider issued, as a hint (<c>id_token_hint</c>): signature and issuer valid, <c>typ</c> JWT and no
    /// <c>events</c> claim (so never an access token or a logout token it also signed), one audience that is also the
    /// authorized party — the client it was issued to, which must be <paramref name="clientId"/> when given. The lifetime
    /// is not checked: a hint may have expired (OIDC Core §3.1.2.1). Null when it is anything else.
    /// </summary>
    public async Task<JsonWebToken?> ValidateIdentityTokenAsync(string token, string issuer, string? clientId, CancellationToken cancellationToken)
    {
        var result = await ValidateAsync(token, issuer, clientId, validateLifetime: false, cancellationToken);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt || jwt.Typ != IdentityTokenType || jwt.TryGetPayloadValue<object>("events", out _))
        {
            return null;
        }

        var audiences = jwt.Audiences.ToList();
        return audiences.Count == 1 && jwt.TryGetPayloadValue<string>("azp", out var azp) && azp == audiences[0] ? jwt : null;
    }

    private static string NewJti() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
