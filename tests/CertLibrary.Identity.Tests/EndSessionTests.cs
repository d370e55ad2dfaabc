using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity.Tests;

/// <summary>RP-initiated logout without a portal's ID token: the citizen confirms, so no other site can end the session (logout CSRF).</summary>
public sealed class EndSessionTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task EndSession_GetWithoutHint_ShowsConfirmationAndKeepsSession()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();
        using var english = new HttpRequestMessage(HttpMethod.Get, "/connect/endsession");
        english.Headers.AcceptLanguage.ParseAdd("en-US,en;q=0.9");

        using var logout = await flow.Browser.GetAsync("/connect/endsession");
        using var englishPage = await flow.Browser.SendAsync(english);
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Equal("DENY", logout.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", logout.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-store", logout.Headers.CacheControl?.ToString());
        var html = await logout.Content.ReadAsStringAsync();
        Assert.Contains("lang=\"zh-CN\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"confirm-logout\"", html, StringComparison.Ordinal);
        Assert.Contains("method=\"post\"", html, StringComparison.Ordinal);
        Assert.Contains("Sign out of the unified identity", await englishPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(OidcFlow.Query(after)["code"]);
    }

    [Fact]
    public async Task EndSession_ConfirmationPosted_EndsSessionAndRedirectsWithState()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();
        using var page = await flow.Browser.GetAsync(QueryHelpers.AddQueryString("/connect/endsession", new Dictionary<string, string?>
        {
            ["client_id"] = flow.Client.ClientId, ["post_logout_redirect_uri"] = OidcFlow.PostLogoutUri, ["state"] = "bye",
        }));
        var html = await page.Content.ReadAsStringAsync();

        using var confirmed = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(ConfirmationFields(html)));
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        Assert.Equal(OidcFlow.PostLogoutUri + "?state=bye", confirmed.Headers.Location?.ToString());
        Assert.Equal("login_required", OidcFlow.Query(after)["error"]);
    }

    /// <summary>
    /// ASP.NET Core's OpenIdConnect handler sends neither id_token_hint (unless SaveTokens) nor client_id: the logout is
    /// confirmed and ends the session, but the URI is not proven registered for any client, so no redirect.
    /// </summary>
    [Fact]
    public async Task EndSession_RegisteredUriWithoutHintOrClientId_ConfirmationEndsSessionAndReturns()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();
        using var page = await flow.Browser.GetAsync(QueryHelpers.AddQueryString("/connect/endsession", new Dictionary<string, string?>
        {
            ["post_logout_redirect_uri"] = OidcFlow.PostLogoutUri, ["state"] = "CfDJ8state",
        }));
        var html = await page.Content.ReadAsStringAsync();

        using var confirmed = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(ConfirmationFields(html)));
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        // OpenIddict accepts a post-logout URI registered for some client even without client_id, and returns there.
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("id=\"confirm-logout\"", html, StringComparison.Ordinal);
        Assert.Equal(OidcFlow.PostLogoutUri + "?state=CfDJ8state", confirmed.Headers.Location?.ToString());
        Assert.Equal("login_required", OidcFlow.Query(after)["error"]);
    }

    [Theory]
    [InlineData("https://evil.test/signed-out")]
    [InlineData(OidcFlow.PostLogoutUri + "/other")]
    public async Task EndSession_ClientIdWithUnregisteredUri_ErrorPageNeverRedirectsSessionKept(string unregistered)
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();
        using var page = await flow.Browser.GetAsync(QueryHelpers.AddQueryString("/connect/endsession", new Dictionary<string, string?>
        {
            ["client_id"] = flow.Client.ClientId, ["post_logout_redirect_uri"] = unregistered, ["state"] = "bye",
        }));
        using var posted = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = flow.Client.ClientId, ["post_logout_redirect_uri"] = unregistered, ["confirm"] = "1",
        }));
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        // OpenIddict refuses the request outright (nothing to confirm, nothing ended, never a redirect).
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Null(page.Headers.Location);
        Assert.Contains("id=\"error\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Null(posted.Headers.Location);
        Assert.NotNull(OidcFlow.Query(after)["code"]);
    }

    [Fact]
    public async Task EndSession_ConfirmationPostedWithoutAntiforgeryToken_ErrorAndSessionKept()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();
        using var page = await flow.Browser.GetAsync("/connect/endsession");
        var fields = ConfirmationFields(await page.Content.ReadAsStringAsync());
        fields.Remove("__RequestVerificationToken");

        using var forged = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(fields));
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(forged.Headers.Location);
        Assert.NotNull(OidcFlow.Query(after)["code"]);
    }

    [Fact]
    public async Task EndSession_ForgedHint_ErrorPageWithoutRedirectAndSessionKept()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var genuine = new JsonWebToken((await flow.TokensAsync()).GetProperty("id_token").GetString()!);
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new JsonWebTokenHandler().CreateToken(Base64UrlEncoder.Decode(genuine.EncodedPayload),
            new SigningCredentials(new ECDsaSecurityKey(attackerKey) { KeyId = genuine.Kid }, SecurityAlgorithms.EcdsaSha256));

        using var logout = await flow.Browser.GetAsync(QueryHelpers.AddQueryString("/connect/endsession", new Dictionary<string, string?>
        {
            ["id_token_hint"] = forged, ["post_logout_redirect_uri"] = OidcFlow.PostLogoutUri, ["state"] = "bye",
        }));
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Null(logout.Headers.Location);
        Assert.NotNull(OidcFlow.Query(after)["code"]);
    }

    private static Dictionary<string, string> ConfirmationFields(string html)
    {
        var fields = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = OidcFlow.Field(html, "__RequestVerificationToken"),
            ["confirm"] = OidcFlow.Field(html, "confirm"),
        };
        foreach (var name in new[] { "client_id", "post_logout_redirect_uri", "state" })
        {
            if (html.Contains($"name=\"{name}\"", StringComparison.Ordinal))
            {
                fields[name] = OidcFlow.Field(html, name);
            }
        }

        return fields;
    }
}
