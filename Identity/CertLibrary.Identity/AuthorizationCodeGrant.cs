using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>Authorization code (PKCE) and refresh token grants at the token endpoint.</summary>
internal sealed partial class AuthorizationCodeGrant(
    GrantStore store,
    TokenFactory tokens,
    CitizenManager citizens,
    IssuerResolver issuers,
    IOptions<IdentityOptions> options,
    TimeProvider time,
    ILogger<AuthorizationCodeGrant> logger)
{
    public async Task<IResult> RedeemCodeAsync(HttpContext context, IdentityClient client, IFormCollection form, CancellationToken cancellationToken)
    {
        var code = form["code"].ToString();
        if (code.Length == 0)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "code is required.");
        }

        var now = time.GetUtcNow();
        var handleHash = code.Length > 100 ? null : SecretHasher.HandleHash(code);

        // One round trip when the code is good: consumed (single use under concurrency) and read back with its revocation state.
        var consumed = handleHash is null ? null : await store.ConsumeCodeAsync(handleHash, client.ClientId, now, cancellationToken);
        if (consumed is not { } redeemed)
        {
            var existing = handleHash is null ? null : await store.FindGrantAsync(handleHash, cancellationToken);
            if (existing is not { Kind: "code" } || existing.ClientId != client.ClientId)
            {
                return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "The authorization code is invalid.");
            }

            // RFC 6749 §4.1.2 / RFC 9700: a replayed code means it leaked; everything issued from it is revoked.
            await store.RevokeAsync(existing.GrantId, "grant", now, now + options.Value.RefreshTokenLifetime, cancellationToken);
            LogCodeReuse(logger, client.ClientId);
            return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "The authorization code was already used.");
        }

        var (row, revoked) = redeemed;
        if (row.ExpiresAt <= now)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "The authorization code expired.");
        }

        if (form["redirect_uri"].ToString() != row.Data.RedirectUri)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "redirect_uri does not match the authorization request.");
        }

        var verifier = form["code_verifier"].ToString();
        if (!VerifierMatches(verifier, row.Data.CodeChallenge))
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "PKCE verification failed.");
        }

        if (revoked)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "The grant was revoked.");
        }

        return await IssueAsync(context, client, row, row.Data.Scope.Split(' '), includeIdToken: true, cancellationToken);
    }

    public async Task<IResult> RefreshAsync(HttpContext context, IdentityClient client, IFormCollection form, CancellationToken cancellationToken)
    {
        var handle = form["refresh_token"].ToString();
        if (handle.Length == 0)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "refresh_token is required.");
        }

        var now = time.GetUtcNow();
        var row = handle.Length > 100 ? null : await store.FindGrantAsync(SecretHasher.HandleHash(handle), cancellationToken);
        if (row is not { Kind: "refresh" } || row.ClientId != client.ClientId || row.ExpiresAt <= now
            || await store.IsRevokedAsync([("grant", row.GrantId), ("session", row.SessionId)], cancellationToken))
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "The refresh token is invalid.");
        }

        if (!await store.ConsumeAsync(row.HandleHash, now, cancellationToken))
        {
            var consumed = (await store.FindGrantAsync(row.HandleHash, cancellationToken))?.ConsumedAt ?? now;
            if (now - consumed > options.Value.RefreshTokenReuseGrace)
            {
                // A rotated refresh token came back: someone holds a copy. Revoke the whole grant (RFC 9700 §4.14.2).
                await store.RevokeAsync(row.GrantId, "grant", now, now + options.Value.RefreshTokenLifetime, cancellationToken);
                LogRefreshReuse(logger, client.ClientId);
                return OAuthErrors.Error(context, OAuthErrors.InvalidGrant, "The refresh token was already used.");
            }
        }

        var granted = row.Data.Scope.Split(' ');
        var requested = form["scope"].ToString();
        var scopes = requested.Length == 0 ? granted : requested.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (scopes.Any(s => !granted.Contains(s)))
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidScope, "A refresh cannot widen the granted scope.");
        }

        return await IssueAsync(context, client, row, scopes, includeIdToken: false, cancellationToken);
    }

    private async Task<IResult> IssueAsync(HttpContext context, IdentityClient client, GrantRow row, string[] scopes, bool includeIdToken, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var issuer = issuers.GetIssuer(context);
        var extra = new Dictionary<string, object> { ["grant_id"] = row.GrantId, ["auth_time"] = row.Data.AuthTime.ToUnixTimeSeconds(), ["acr"] = row.Data.Acr, ["amr"] = row.Data.Amr };
        if (row.SessionId is not null)
        {
            extra["sid"] = row.SessionId;
        }

        var (accessToken, _, _) = await tokens.CreateAccessTokenAsync(issuer, row.Subject, client.ClientId, scopes, extra, cancellationToken);
        var response = new Dictionary<string, object>
        {
            ["access_token"] = accessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)tokens.AccessTokenLifetime.TotalSeconds,
            ["scope"] = string.Join(' ', scopes),
        };

        if (includeIdToken && scopes.Contains(IdentityConstants.OpenIdScope))
        {
            var claims = new Dictionary<string, object>
            {
                ["sub"] = row.Subject,
                ["auth_time"] = row.Data.AuthTime.ToUnixTimeSeconds(),
                ["acr"] = row.Data.Acr,
                ["amr"] = row.Data.Amr,
                ["azp"] = client.ClientId,
                ["at_hash"] = AtHash(accessToken),
            };
            if (row.Data.Nonce is not null)
            {
                claims["nonce"] = row.Data.Nonce;
            }

            if (row.SessionId is not null)
            {
                claims["sid"] = row.SessionId;
            }

            await AddIdentityClaimsAsync(claims, row.Subject, scopes, cancellationToken);
            response["id_token"] = await tokens.CreateIdentityTokenAsync(issuer, client.ClientId, claims, cancellationToken);
        }

        if (scopes.Contains(IdentityConstants.OfflineAccessScope))
        {
            var refresh = SecretHasher.NewSecret();
            await store.AddGrantAsync(row with
            {
                HandleHash = SecretHasher.HandleHash(refresh),
                Kind = "refresh",
                Data = row.Data with { Scope = string.Join(' ', scopes), CodeChallenge = null, Nonce = null },
                CreatedAt = now,
                ExpiresAt = now + options.Value.RefreshTokenLifetime,
                ConsumedAt = null,
            }, cancellationToken);
            response["refresh_token"] = refresh;
        }

        TokenEndpoint.LogTokenIssued(logger, client.ClientId, row.Kind == "code" ? "authorization_code" : "refresh_token");
        OAuthErrors.NoStore(context);
        return Results.Json(response);
    }

    internal async Task AddIdentityClaimsAsync(Dictionary<string, object> claims, string subject, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        if (scopes.Contains(IdentityConstants.ProfileScope) && await citizens.FindBySubjectAsync(subject, cancellationToken) is { } citizen)
        {
            claims["name"] = citizen.Name;
        }

        if (scopes.Contains(IdentityConstants.CitizenIdScope) && await citizens.GetCitizenIdAsync(subject, cancellationToken) is { } id)
        {
            claims[IdentityConstants.CitizenIdClaim] = id.ToString();
        }
    }

    private static bool VerifierMatches(string verifier, string? challenge)
    {
        // RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~].
        if (challenge is null || verifier.Length is < 43 or > 128 || !verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~'))
        {
            return false;
        }

        var computed = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(challenge));
    }

    private static string AtHash(string accessToken)
    {
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(accessToken));
        return WebEncoders.Base64UrlEncode(hash, 0, 16);
    }

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4030, Message = "Audit: authorization code reuse by client {ClientId}; grant revoked")]
    private static partial void LogCodeReuse(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4031, Message = "Audit: refresh token reuse by client {ClientId}; grant revoked")]
    private static partial void LogRefreshReuse(ILogger logger, string clientId);
}
