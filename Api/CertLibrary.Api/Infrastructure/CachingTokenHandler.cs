using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// Access-token validation with a small cache of successful results, so that a client sending the same token again
/// skips the ES256 verification (about half of a cached lookup's server time). An entry is keyed by the SHA-256 of
/// the token and the expected issuer and audience, lives at most until the token's <c>exp</c>, and is used only
/// while the key that signed the token is still among the provider's signing keys; failures are never cached.
/// Only the signature and claims checks are cached here: whether the token was revoked since is checked after it on every
/// request (<see cref="AccessTokenChecks"/>, with its own short-lived cache).
/// </summary>
internal sealed class CachingTokenHandler(JsonWebTokenHandler inner, TimeProvider time) : TokenHandler, IDisposable
{
    private const int MaxEntries = 10_000;
    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = MaxEntries });

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var key = CacheKey(token, validationParameters);
        var now = time.GetUtcNow();
        if (_validated.TryGetValue(key, out Entry? entry) && entry!.ExpiresAt > now && await IsSigningKeyCurrentAsync(entry.KeyId, validationParameters))
        {
            return new TokenValidationResult
            {
                IsValid = true,
                ClaimsIdentity = entry.Identity.Clone(),
                SecurityToken = entry.Token,
                Issuer = entry.Issuer,
                TokenType = entry.TokenType,
            };
        }

        var result = await inner.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt && jwt.ValidTo > DateTime.MinValue && result.ClaimsIdentity is { } identity)
        {
            var expiresAt = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
            if (expiresAt > now)
            {
                _validated.Set(key, new Entry(identity.Clone(), jwt, result.Issuer, result.TokenType, jwt.Kid, expiresAt),
                    new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = expiresAt });
            }
        }

        return result;
    }

    public void Dispose() => _validated.Dispose();

    /// <summary>Whether the key that signed a cached token is still a signing key of the provider (JwtBearer hands the keys over directly or through its configuration manager).</summary>
    private static async ValueTask<bool> IsSigningKeyCurrentAsync(string? keyId, TokenValidationParameters parameters)
    {
        if (keyId is null)
        {
            return false;
        }

        if (parameters.IssuerSigningKey?.KeyId == keyId || Contains(parameters.IssuerSigningKeys, keyId))
        {
            return true;
        }

        return parameters.ConfigurationManager is { } manager
            && Contains((await manager.GetBaseConfigurationAsync(CancellationToken.None))?.SigningKeys, keyId);
    }

    private static bool Contains(IEnumerable<SecurityKey>? keys, string keyId)
    {
        if (keys is not null)
        {
            foreach (var candidate in keys)
            {
                if (candidate.KeyId == keyId)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string CacheKey(string token, TokenValidationParameters parameters)
    {
        var input = Encoding.UTF8.GetBytes(string.Concat(parameters.ValidIssuer, "\n", parameters.ValidAudience, "\n", token));
        return Convert.ToBase64String(SHA256.HashData(input));
    }

    private sealed record Entry(ClaimsIdentity Identity, JsonWebToken Token, string Issuer, string TokenType, string? KeyId, DateTimeOffset ExpiresAt);
}
