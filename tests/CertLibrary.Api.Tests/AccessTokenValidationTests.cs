using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CertLibrary.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The Api accepts only the provider's RFC 9068 access tokens for itself: each token below is signed with the provider's
/// own current key and carries the claims of a genuine token, with one thing changed.
/// </summary>
public sealed class AccessTokenValidationTests : IAsyncLifetime
{
    private const string ReadPath = "/api/v1/certificates/1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y";
    private readonly ApiFactory _factory = new();
    private JsonWebToken _genuine = null!;

    public async Task InitializeAsync()
    {
        var http = await _factory.StartWithCivilAffairsClientAsync();
        _genuine = new JsonWebToken(http.DefaultRequestHeaders.Authorization!.Parameter!);
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Read_TokenMintedLikeTheGenuineOne_Accepted()
    {
        var token = await MintAsync(_genuine.Issuer, Audience, "at+jwt", TimeSpan.FromMinutes(5));

        Assert.Equal(HttpStatusCode.NotFound, await ReadStatusAsync(token)); // authenticated: the certificate does not exist
    }

    [Fact]
    public async Task Read_OtherIssuer_401()
    {
        var token = await MintAsync("https://idp.elsewhere.example", Audience, "at+jwt", TimeSpan.FromMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, await ReadStatusAsync(token));
    }

    [Fact]
    public async Task Read_OtherAudience_401()
    {
        var token = await MintAsync(_genuine.Issuer, "another-resource-server", "at+jwt", TimeSpan.FromMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, await ReadStatusAsync(token));
    }

    [Theory]
    [InlineData("JWT")] // an ID token's type
    [InlineData("logout+jwt")]
    public async Task Read_NotAnAccessTokenType_401(string type)
    {
        var token = await MintAsync(_genuine.Issuer, Audience, type, TimeSpan.FromMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, await ReadStatusAsync(token));
    }

    [Fact]
    public async Task Read_UnsignedAlgNone_401()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"at+jwt"}""");
        var token = header + "." + _genuine.EncodedPayload + ".";

        Assert.Equal(HttpStatusCode.Unauthorized, await ReadStatusAsync(token));
    }

    [Fact]
    public async Task Read_ExpiredWithinTheMinuteOfClockSkew_Accepted_ExpiredLonger_401()
    {
        var recent = await MintAsync(_genuine.Issuer, Audience, "at+jwt", TimeSpan.FromSeconds(-20));
        var older = await MintAsync(_genuine.Issuer, Audience, "at+jwt", TimeSpan.FromSeconds(-100));

        Assert.Equal(HttpStatusCode.NotFound, await ReadStatusAsync(recent));
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadStatusAsync(older));
    }

    private string Audience => _genuine.Audiences.Single();

    /// <summary>A token with the genuine token's claims (subject, client, scopes, jti: not revoked) under the given issuer, audience, type and lifetime.</summary>
    private async Task<string> MintAsync(string issuer, string audience, string type, TimeSpan lifetime)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(_genuine.EncodedPayload));
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var claim in payload.RootElement.EnumerateObject().Where(c => c.Name is not ("iss" or "aud" or "exp" or "iat" or "nbf")))
        {
            claims[claim.Name] = claim.Value.ValueKind == JsonValueKind.Number ? claim.Value.GetInt64() : claim.Value.GetString()!;
        }

        return await _factory.Services.GetRequiredService<TokenFactory>().CreateJwtAsync(issuer, audience, type, lifetime, claims, default);
    }

    private async Task<HttpStatusCode> ReadStatusAsync(string token)
    {
        using var http = _factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.GetAsync(ReadPath);
        return response.StatusCode;
    }
}
