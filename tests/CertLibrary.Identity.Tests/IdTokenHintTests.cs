using System.Net;
using System.Security.Cryptography;
using CertLibrary.Identifiers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity.Tests;

/// <summary><c>id_token_hint</c> at <c>/connect/authorize</c> (OIDC Core §3.1.2.1): only an ID token this provider issued to the client.</summary>
public sealed class IdTokenHintTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task Authorize_HintNamesAnotherCitizenThanTheSession_LoginRequiredOrLoginPage()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var hintOfFirst = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;
        flow.NewBrowserSession();
        var second = CitizenId.Create("110105", new DateOnly(1970, 1, 1).AddDays(RandomNumberGenerator.GetInt32(15000)), RandomNumberGenerator.GetInt32(1000));
        await factory.Citizens.RegisterAsync(second, "李四", OidcFlow.Password);
        using var signedIn = await flow.LoginAsync(idNumber: second.ToString());
        Assert.NotNull(OidcFlow.Query(signedIn)["code"]);

        using var silent = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none", ["id_token_hint"] = hintOfFirst }));
        using var interactive = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["id_token_hint"] = hintOfFirst }));

        Assert.Equal("login_required", OidcFlow.Query(silent)["error"]);
        Assert.Equal(HttpStatusCode.OK, interactive.StatusCode);
        Assert.Contains("name=\"password\"", await interactive.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_ForgedHint_InvalidRequestAndNoCode()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var genuine = new JsonWebToken((await flow.TokensAsync()).GetProperty("id_token").GetString()!);
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
            Base64UrlEncoder.Decode(genuine.EncodedPayload),
            new SigningCredentials(new ECDsaSecurityKey(attackerKey) { KeyId = genuine.Kid }, SecurityAlgorithms.EcdsaSha256));

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none", ["id_token_hint"] = forged }));

        var query = OidcFlow.Query(response);
        Assert.Equal("invalid_request", query["error"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Theory]
    [InlineData("logout_token")]
    [InlineData("access_token")]
    public async Task Authorize_HintIsAnotherTokenOfTheProvider_InvalidRequestAndNoCode(string kind)
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var tokens = await flow.TokensAsync();
        var idToken = new JsonWebToken(tokens.GetProperty("id_token").GetString()!);
        var hint = kind == "access_token"
            ? tokens.GetProperty("access_token").GetString()!
            : await factory.Services.GetRequiredService<TokenFactory>()
                .CreateLogoutTokenAsync(factory.Issuer!, flow.Client.ClientId, flow.Subject, idToken.GetClaim("sid").Value, CancellationToken.None);

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none", ["id_token_hint"] = hint }));

        var query = OidcFlow.Query(response);
        Assert.Equal("invalid_request", query["error"]);
        Assert.False(query.ContainsKey("code"));
    }
}
