using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity;

/// <summary>
/// Creates the JWTs OpenIddict does not: back-channel logout tokens, and RFC 9068 access tokens minted directly (tests of
/// the API's token checks). Same keys, issuer and audience as the tokens OpenIddict issues.
/// </summary>
internal sealed class TokenFactory(SigningKeyManager keys, IOptions<IdentityOptions> options, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Lifetime of logout tokens: long enough for a few delivery retries, short enough that a leaked one soon expires.</summary>
    public static readonly TimeSpan LogoutTokenLifetime = TimeSpan.FromMinutes(2);

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

    private static string NewJti() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
