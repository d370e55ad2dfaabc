using System.Net;

namespace CertLibrary.Identity.Tests;

/// <summary>Public clients (no secret): the code is redeemed with client_id and the PKCE verifier only.</summary>
public sealed class PublicClientTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task PublicClient_CodeRedeemedWithClientIdAndVerifier_TokensIssued()
    {
        using var flow = await OidcFlow.CreateAsync(factory, publicClient: true);
        var code = await flow.GetCodeAsync();

        using var response = await RedeemWithoutSecretAsync(flow, code, flow.Verifier);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = await IdentityApiFactory.JsonAsync(response);
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("id_token").GetString()));
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("refresh_token").GetString()));
    }

    [Fact]
    public async Task PublicClient_WrongVerifier_InvalidGrant()
    {
        using var flow = await OidcFlow.CreateAsync(factory, publicClient: true);
        var code = await flow.GetCodeAsync();

        using var response = await RedeemWithoutSecretAsync(flow, code, OidcFlow.NewVerifier());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task ConfidentialClient_ClientIdWithoutSecret_InvalidClient()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();

        using var response = await RedeemWithoutSecretAsync(flow, code, flow.Verifier);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task PublicClient_ClientCredentialsGrant_Refused()
    {
        using var flow = await OidcFlow.CreateAsync(factory, publicClient: true);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = flow.Client.ClientId,
        }));

        // OpenIddict: the grant needs a client_secret, which a public client cannot send (invalid_request, RFC 6749 §5.2).
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task PublicClient_AnySecret_InvalidClient()
    {
        using var flow = await OidcFlow.CreateAsync(factory, publicClient: true);
        var code = await flow.GetCodeAsync();

        using var response = await flow.RedeemAsync(code, client: new ClientCredentials(flow.Client.ClientId, "guessed"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task PublicClient_RevokesItsRefreshTokenWithClientIdOnly_RefreshThenFails()
    {
        using var flow = await OidcFlow.CreateAsync(factory, publicClient: true);
        using var redeemed = await RedeemWithoutSecretAsync(flow, await flow.GetCodeAsync(), flow.Verifier);
        var refresh = (await IdentityApiFactory.JsonAsync(redeemed)).GetProperty("refresh_token").GetString()!;
        using var http = factory.CreateClient();

        using var revoked = await http.PostAsync("/connect/revocation", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = flow.Client.ClientId,
            ["token"] = refresh,
        }));
        using var refreshed = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = flow.Client.ClientId,
            ["refresh_token"] = refresh,
        }));

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed.StatusCode);
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(refreshed)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task PublicClient_Introspection_Refused()
    {
        using var flow = await OidcFlow.CreateAsync(factory, publicClient: true);
        using var redeemed = await RedeemWithoutSecretAsync(flow, await flow.GetCodeAsync(), flow.Verifier);
        var access = (await IdentityApiFactory.JsonAsync(redeemed)).GetProperty("access_token").GetString()!;
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = flow.Client.ClientId,
            ["token"] = access,
        }));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<HttpResponseMessage> RedeemWithoutSecretAsync(OidcFlow flow, string code, string verifier)
    {
        using var http = factory.CreateClient();
        return await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = flow.Client.ClientId,
            ["code"] = code,
            ["redirect_uri"] = OidcFlow.RedirectUri,
            ["code_verifier"] = verifier,
        }));
    }
}
