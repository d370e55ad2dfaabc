using System.Security.Cryptography;
using CertLibrary.Api.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Api.Tests;

/// <summary>The validated-token cache never accepts what a full validation would refuse at that moment.</summary>
public sealed class CachingTokenHandlerTests
{
    private static readonly JsonWebTokenHandler Issuer = new();

    [Fact]
    public async Task Validate_SigningKeyNoLongerPublished_CachedResultNotUsed()
    {
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(signing) { KeyId = "k1" };
        var handler = new CachingTokenHandler(new JsonWebTokenHandler { MapInboundClaims = false }, TimeProvider.System);
        var token = Token(key, TimeSpan.FromMinutes(5));

        Assert.True((await handler.ValidateTokenAsync(token, Parameters(key))).IsValid);
        var cached = await handler.ValidateTokenAsync(token, Parameters(key));
        Assert.True(cached.IsValid);
        Assert.Equal("client-1", cached.ClaimsIdentity.FindFirst("client_id")?.Value);

        Assert.False((await handler.ValidateTokenAsync(token, Parameters(new ECDsaSecurityKey(other) { KeyId = "k2" }))).IsValid);
    }

    [Fact]
    public async Task Validate_OtherAudienceOrTamperedToken_NotServedFromCache()
    {
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(signing) { KeyId = "k1" };
        var handler = new CachingTokenHandler(new JsonWebTokenHandler { MapInboundClaims = false }, TimeProvider.System);
        var token = Token(key, TimeSpan.FromMinutes(5));
        Assert.True((await handler.ValidateTokenAsync(token, Parameters(key))).IsValid);

        var otherAudience = Parameters(key);
        otherAudience.ValidAudience = "someone-else";
        Assert.False((await handler.ValidateTokenAsync(token, otherAudience)).IsValid);
        var tampered = token[..^4] + (token[^4] == 'A' ? "B" : "A") + token[^3..];
        Assert.False((await handler.ValidateTokenAsync(tampered, Parameters(key))).IsValid);
    }

    [Fact]
    public async Task Validate_CachedIdentity_IsACopyPerRequest()
    {
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(signing) { KeyId = "k1" };
        var handler = new CachingTokenHandler(new JsonWebTokenHandler { MapInboundClaims = false }, TimeProvider.System);
        var token = Token(key, TimeSpan.FromMinutes(5));
        await handler.ValidateTokenAsync(token, Parameters(key));

        var first = await handler.ValidateTokenAsync(token, Parameters(key));
        first.ClaimsIdentity.AddClaim(new System.Security.Claims.Claim("scope", "certlib.admin"));
        var second = await handler.ValidateTokenAsync(token, Parameters(key));

        Assert.DoesNotContain(second.ClaimsIdentity.FindAll("scope"), c => c.Value == "certlib.admin");
    }

    private static string Token(SecurityKey key, TimeSpan lifetime) => Issuer.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "https://idp.test",
        Audience = "certlib",
        TokenType = "at+jwt",
        Expires = DateTime.UtcNow + lifetime,
        Claims = new Dictionary<string, object> { ["client_id"] = "client-1", ["scope"] = "certlib.use" },
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
    });

    private static TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        ValidIssuer = "https://idp.test",
        ValidAudience = "certlib",
        ValidTypes = ["at+jwt"],
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        IssuerSigningKeys = [key],
    };
}
