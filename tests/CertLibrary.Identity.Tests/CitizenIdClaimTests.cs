using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity.Tests;

/// <summary>The identity number is released, as claim <c>citizen_id</c>, only to clients allowed scope certlib.citizen_id.</summary>
public sealed class CitizenIdClaimTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task CitizenId_ClientNotAllowedTheScope_InvalidScopeAndNoTokenOrUserInfoCarriesIt()
    {
        using var flow = await OidcFlow.CreateAsync(factory, scopes: "openid profile offline_access");
        const string allowed = "openid profile offline_access";

        using var asked = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = allowed + " " + IdentityConstants.CitizenIdScope }));
        using var login = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = allowed }));
        using var redeemed = await flow.RedeemAsync(OidcFlow.Query(login)["code"]);
        var tokens = await IdentityApiFactory.JsonAsync(redeemed);
        using var widened = await flow.BackChannelAsync("/connect/token", new()
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.GetProperty("refresh_token").GetString()!, ["scope"] = allowed + " " + IdentityConstants.CitizenIdScope,
        });
        using var http = factory.CreateClient();
        using var userInfoRequest = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        userInfoRequest.Headers.Authorization = new("Bearer", tokens.GetProperty("access_token").GetString());
        using var userInfo = await http.SendAsync(userInfoRequest);

        Assert.Equal("invalid_scope", OidcFlow.Query(asked)["error"]);
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        Assert.Equal("invalid_scope", (await IdentityApiFactory.JsonAsync(widened)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, userInfo.StatusCode);
        var released = new[]
        {
            Base64UrlEncoder.Decode(new JsonWebToken(tokens.GetProperty("id_token").GetString()).EncodedPayload),
            Base64UrlEncoder.Decode(new JsonWebToken(tokens.GetProperty("access_token").GetString()).EncodedPayload),
            await userInfo.Content.ReadAsStringAsync(),
        };
        Assert.All(released, json =>
        {
            Assert.False(JsonDocument.Parse(json).RootElement.TryGetProperty(IdentityConstants.CitizenIdClaim, out _), json);
            Assert.DoesNotContain(flow.CitizenId.ToString(), json, StringComparison.Ordinal);
            Assert.DoesNotContain(IdentityConstants.CitizenIdScope, json, StringComparison.Ordinal);
        });
    }
}
