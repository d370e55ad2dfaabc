using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// The citizen API scopes (certlib.me.read, certlib.me.manage) reach a third-party client only through the consent screen
/// of /connect/authorize: approved (remembered per citizen and client), refused (access_denied), never silently
/// (prompt=none answers consent_required), and revocable by the citizen, which also revokes the client's tokens.
/// </summary>
public sealed class ClientConsentTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    private const string ClientScopes = "openid profile offline_access certlib.me.read certlib.me.manage";
    private const string MeScopes = "openid offline_access certlib.me.read certlib.me.manage";

    [Fact]
    public async Task Authorize_ThirdPartyAsksCitizenApiScopes_ConsentScreenThenCodeWithTheScopes()
    {
        using var flow = await OidcFlow.CreateAsync(factory, ClientScopes);

        using var login = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes }));
        var page = await login.Content.ReadAsStringAsync();
        using var allowed = await flow.AnswerConsentAsync(page, "allow");
        using var redeemed = await flow.RedeemAsync(OidcFlow.Query(allowed)["code"]);
        var tokens = await IdentityApiFactory.JsonAsync(redeemed);
        using var certificates = await GetAsBearerAsync("/api/v1/me/certificates", tokens.GetProperty("access_token").GetString()!);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("id=\"allow\"", page, StringComparison.Ordinal);
        Assert.Contains("应用“Portal”请求以下权限", page, StringComparison.Ordinal);
        Assert.Contains("data-scope=\"certlib.me.read\"", page, StringComparison.Ordinal);
        Assert.Contains("data-scope=\"certlib.me.manage\"", page, StringComparison.Ordinal);
        Assert.Equal("state-123", OidcFlow.Query(allowed)["state"]);
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        Assert.Equal(MeScopes, tokens.GetProperty("scope").GetString());
        Assert.Equal(HttpStatusCode.OK, certificates.StatusCode);
    }

    [Fact]
    public async Task Consent_Refused_AccessDeniedAndNothingRemembered()
    {
        using var flow = await OidcFlow.CreateAsync(factory, ClientScopes);

        using var login = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes }));
        using var refused = await flow.AnswerConsentAsync(await login.Content.ReadAsStringAsync(), "deny");
        using var silent = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes, ["prompt"] = "none" }));

        var answer = OidcFlow.Query(refused);
        Assert.Equal("access_denied", answer["error"]);
        Assert.Equal("state-123", answer["state"]);
        Assert.False(answer.ContainsKey("code"));
        Assert.Equal("consent_required", OidcFlow.Query(silent)["error"]);
    }

    [Fact]
    public async Task Authorize_PromptNoneBeforeApproval_ConsentRequiredThenCodeOnceApproved()
    {
        using var flow = await OidcFlow.CreateAsync(factory, ClientScopes);
        using var signedIn = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = "openid profile" })); // SSO session, nothing to approve
        Assert.True(OidcFlow.Query(signedIn).ContainsKey("code"));

        using var before = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes, ["prompt"] = "none" }));
        using var interactive = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes }));
        using var allowed = await flow.AnswerConsentAsync(await interactive.Content.ReadAsStringAsync(), "allow");
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes, ["prompt"] = "none" }));

        Assert.Equal("consent_required", OidcFlow.Query(before)["error"]);
        Assert.False(OidcFlow.Query(before).ContainsKey("code"));
        Assert.True(OidcFlow.Query(allowed).ContainsKey("code"));
        Assert.True(OidcFlow.Query(after).ContainsKey("code"));
    }

    [Fact]
    public async Task ConsentScreen_AcceptLanguageEnglish_EnglishPageWithAntiforgery()
    {
        using var flow = await OidcFlow.CreateAsync(factory, ClientScopes);
        using var signedIn = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = "openid" }));
        using var request = new HttpRequestMessage(HttpMethod.Get, flow.AuthorizeUrl(new() { ["scope"] = MeScopes }));
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("en-US"));

        using var page = await flow.Browser.SendAsync(request);
        var html = await page.Content.ReadAsStringAsync();
        using var forged = await flow.Browser.PostAsync("/connect/authorize/consent", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["request"] = OidcFlow.Field(html, "request"), ["ticket"] = OidcFlow.Field(html, "ticket"), ["decision"] = "allow",
        }));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains("The application \u201CPortal\u201D asks to:", html, StringComparison.Ordinal);
        Assert.Contains(">Allow</button>", html, StringComparison.Ordinal);
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode); // no antiforgery token: an error page, no redirect, no code
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Consent_RememberedThenRevokedInPortalApi_TokensRefusedAndAskedAgain(string store)
    {
        using var own = store == "sqlite" ? null : new IdentityApiFactory { Settings = await IdentityApiFactory.PostgresSettingsAsync() };
        using var flow = await OidcFlow.CreateAsync(own ?? factory, ClientScopes);
        using var login = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes }));
        using var approved = await flow.AnswerConsentAsync(await login.Content.ReadAsStringAsync(), "allow");
        using var firstTokens = await flow.RedeemAsync(OidcFlow.Query(approved)["code"]);
        var refreshToken = (await IdentityApiFactory.JsonAsync(firstTokens)).GetProperty("refresh_token").GetString()!;

        // Remembered: a new sign-in in another browser goes straight to the code.
        flow.NewBrowserSession();
        using var again = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes }));
        using var secondTokens = await flow.RedeemAsync(OidcFlow.Query(again)["code"]);
        var accessToken = (await IdentityApiFactory.JsonAsync(secondTokens)).GetProperty("access_token").GetString()!;
        using var listed = await GetAsBearerAsync("/api/v1/me/authorized-clients", accessToken, own);

        using var revoked = await SendAsBearerAsync(HttpMethod.Delete, $"/api/v1/me/authorized-clients/{flow.Client.ClientId}", accessToken, own);
        using var revokedAgain = await SendAsBearerAsync(HttpMethod.Delete, $"/api/v1/me/authorized-clients/{flow.Client.ClientId}",
            (await IdentityApiFactory.JsonAsync(await flow.RedeemAsync(await ApprovedCodeAsync(flow)))).GetProperty("access_token").GetString()!, own);
        using var refreshed = await flow.RefreshAsync(refreshToken);
        using var afterRevocation = await GetAsBearerAsync("/api/v1/me/certificates", accessToken, own);
        using var silent = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes, ["prompt"] = "none" }));

        var list = await IdentityApiFactory.JsonAsync(listed);
        var entry = Assert.Single(list.EnumerateArray());
        Assert.Equal(flow.Client.ClientId, entry.GetProperty("clientId").GetString());
        Assert.Equal("Portal", entry.GetProperty("name").GetString());
        Assert.Equal(new[] { "certlib.me.manage", "certlib.me.read" }, entry.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!).ToArray());
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, revokedAgain.StatusCode); // approved again in between, so there was one to revoke
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(refreshed)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevocation.StatusCode);
        Assert.Equal("consent_required", OidcFlow.Query(silent)["error"]);
    }

    [Fact]
    public async Task RevokeAuthorizedClient_NeverAuthorized_404AndReadOnlyToken403()
    {
        using var flow = await OidcFlow.CreateAsync(factory, ClientScopes);
        using var login = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = "openid certlib.me.read" }));
        using var approved = await flow.AnswerConsentAsync(await login.Content.ReadAsStringAsync(), "allow");
        var readOnly = (await IdentityApiFactory.JsonAsync(await flow.RedeemAsync(OidcFlow.Query(approved)["code"]))).GetProperty("access_token").GetString()!;
        using var asked = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes })); // more than approved: asked again

        using var forbidden = await SendAsBearerAsync(HttpMethod.Delete, $"/api/v1/me/authorized-clients/{flow.Client.ClientId}", readOnly);
        using var manage = await flow.AnswerConsentAsync(await asked.Content.ReadAsStringAsync(), "allow");
        var manager = (await IdentityApiFactory.JsonAsync(await flow.RedeemAsync(OidcFlow.Query(manage)["code"]))).GetProperty("access_token").GetString()!;
        using var unknown = await SendAsBearerAsync(HttpMethod.Delete, "/api/v1/me/authorized-clients/cl_never-authorized", manager);

        Assert.Contains("id=\"allow\"", await asked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("insufficient_scope", forbidden.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Authorize_ClientNotAllowedCitizenApiScope_InvalidScopeAndNoScreen()
    {
        using var flow = await OidcFlow.CreateAsync(factory, "openid profile offline_access");
        using var signedIn = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = "openid profile" }));

        using var asked = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = "openid " + IdentityConstants.MeReadScope }));

        Assert.Equal("invalid_scope", OidcFlow.Query(asked)["error"]);
        Assert.False(OidcFlow.Query(asked).ContainsKey("code"));
    }

    [Fact]
    public async Task Authorize_FirstPartyClient_CodeWithoutConsentScreen()
    {
        using var flow = await OidcFlow.CreateAsync(factory, "openid");
        var id = "portal-" + Guid.NewGuid().ToString("N")[..8];
        var secret = new string('s', 43);
        await factory.Clients.EnsureClientAsync(id, secret, "Platform portal", ["openid", IdentityConstants.MeReadScope, IdentityConstants.MeManageScope],
            new ClientRegistrationOptions { RedirectUris = [OidcFlow.RedirectUri] });

        using var login = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["client_id"] = id, ["scope"] = "openid certlib.me.read certlib.me.manage" }));
        using var redeemed = await flow.RedeemAsync(OidcFlow.Query(login)["code"], client: new ClientCredentials(id, secret));

        Assert.True((await factory.Clients.FindAsync(id))!.IsFirstParty);
        Assert.Equal("openid certlib.me.read certlib.me.manage", (await IdentityApiFactory.JsonAsync(redeemed)).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Discovery_ScopesAndPrompt_NameTheCitizenApiScopesAndConsent()
    {
        using var http = factory.CreateClient();

        var metadata = JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration")).RootElement;

        var scopes = metadata.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains(IdentityConstants.MeReadScope, scopes);
        Assert.Contains(IdentityConstants.MeManageScope, scopes);
        Assert.Contains("consent", metadata.GetProperty("prompt_values_supported").EnumerateArray().Select(s => s.GetString()));
    }

    private static async Task<string> ApprovedCodeAsync(OidcFlow flow)
    {
        using var page = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["scope"] = MeScopes }));
        using var approved = await flow.AnswerConsentAsync(await page.Content.ReadAsStringAsync(), "allow");
        return OidcFlow.Query(approved)["code"];
    }

    private Task<HttpResponseMessage> GetAsBearerAsync(string path, string accessToken, IdentityApiFactory? on = null) =>
        SendAsBearerAsync(HttpMethod.Get, path, accessToken, on);

    private async Task<HttpResponseMessage> SendAsBearerAsync(HttpMethod method, string path, string accessToken, IdentityApiFactory? on = null)
    {
        using var http = (on ?? factory).CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await http.SendAsync(request);
    }
}
