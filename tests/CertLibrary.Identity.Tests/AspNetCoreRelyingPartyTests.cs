using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// A relying party built on ASP.NET Core's own OpenIdConnect handler, left on its defaults (response_mode form_post,
/// SaveTokens off, so logout carries no id_token_hint), signs a citizen in and out. The browser is an HttpClient per
/// site with its own cookie jar, following the redirects and auto-posting the form_post page like a browser would.
/// </summary>
public sealed partial class AspNetCoreRelyingPartyTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    private const string RpBase = "https://rp.test";

    [Fact]
    public async Task OpenIdConnectHandler_Defaults_SignsInWithFormPostAndSignsOutWithoutHint()
    {
        var client = await factory.Clients.CreateAsync(null, "ASP.NET Core portal", ["openid", "profile"], new ClientRegistrationOptions
        {
            RedirectUris = [RpBase + "/signin-oidc"], PostLogoutRedirectUris = [RpBase + "/signout-callback-oidc"],
        });
        var citizenId = CertLibrary.Identifiers.CitizenId.Create("110105", new DateOnly(1980, 1, 1).AddDays(System.Security.Cryptography.RandomNumberGenerator.GetInt32(9000)), 7);
        var registered = await factory.Citizens.RegisterAsync(citizenId, "李四", OidcFlow.Password);
        var citizen = registered.Citizen!;
        await using var rp = await StartRelyingPartyAsync(client);
        using var rpBrowser = new HttpClient(new CookieContainerHandler { InnerHandler = rp.GetTestServer().CreateHandler() }) { BaseAddress = new Uri(RpBase) };
        using var idBrowser = OidcFlow.NewBrowser(factory);

        // Sign in: RP challenge → provider login page → form_post back to the RP → RP session.
        using var challenge = await rpBrowser.GetAsync("/me");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        Assert.Equal(factory.Issuer + "/connect/authorize", authorize.GetLeftPart(UriPartial.Path));
        // The handler pushes its request first (PAR, its default when discovery advertises the endpoint).
        Assert.Contains("request_uri=", authorize.Query, StringComparison.Ordinal);
        using var loginPage = await idBrowser.GetAsync(authorize.PathAndQuery);
        var loginHtml = await loginPage.Content.ReadAsStringAsync();
        using var login = await idBrowser.PostAsync("/connect/authorize/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = OidcFlow.Field(loginHtml, "__RequestVerificationToken"),
            ["request"] = OidcFlow.Field(loginHtml, "request"),
            ["idNumber"] = citizenId.ToString(),
            ["password"] = OidcFlow.Password,
        }));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var (action, fields) = FormPost(await login.Content.ReadAsStringAsync());
        Assert.Equal(RpBase + "/signin-oidc", action);
        Assert.Equal(factory.Issuer, fields["iss"]);
        using var callback = await rpBrowser.PostAsync("/signin-oidc", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        using var me = await rpBrowser.GetAsync("/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(citizen.Subject + "|李四", await me.Content.ReadAsStringAsync());

        // Sign out: RP → provider end session without id_token_hint → citizen confirms → back to the RP's signed-out callback.
        using var signOut = await rpBrowser.GetAsync("/logout");
        var endSession = signOut.Headers.Location!;
        Assert.Equal(factory.Issuer + "/connect/endsession", endSession.GetLeftPart(UriPartial.Path));
        Assert.DoesNotContain("id_token_hint", endSession.Query, StringComparison.Ordinal);
        using var confirmPage = await idBrowser.GetAsync(endSession.PathAndQuery);
        var confirmHtml = await confirmPage.Content.ReadAsStringAsync();
        Assert.Contains("id=\"confirm-logout\"", confirmHtml, StringComparison.Ordinal);
        using var confirmed = await idBrowser.PostAsync("/connect/endsession", new FormUrlEncodedContent(
            HiddenFields(confirmHtml)));
        var back = confirmed.Headers.Location!;
        Assert.Equal(RpBase + "/signout-callback-oidc", back.GetLeftPart(UriPartial.Path));
        using var signedOut = await rpBrowser.GetAsync(back.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(RpBase + "/signed-out", signedOut.Headers.Location?.ToString());
        using var again = await rpBrowser.GetAsync("/me");
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        using var next = await idBrowser.GetAsync(again.Headers.Location!.PathAndQuery);
        Assert.Contains("id=\"idNumber\"", await next.Content.ReadAsStringAsync(), StringComparison.Ordinal); // no SSO session left
    }

    private async Task<WebApplication> StartRelyingPartyAsync(ClientCredentials client)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie()
            .AddOpenIdConnect(o =>
            {
                o.Authority = factory.Issuer;
                o.ClientId = client.ClientId;
                o.ClientSecret = client.ClientSecret;
                o.ResponseType = "code";
                o.Scope.Add("profile");
                o.MapInboundClaims = false;
                o.GetClaimsFromUserInfoEndpoint = true;
                o.SignedOutRedirectUri = "/signed-out";

                // The provider is the in-memory test server; discovery, token and UserInfo requests go to it.
                o.BackchannelHttpHandler = factory.Server.CreateHandler();
            });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/me", (ClaimsPrincipal user) => user.FindFirst("sub")?.Value + "|" + user.FindFirst("name")?.Value).RequireAuthorization();
        app.MapGet("/logout", () => Results.SignOut(null, [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]));
        await app.StartAsync();
        return app;
    }

    /// <summary>The target and fields of the provider's auto-submitting form_post page.</summary>
    private static (string Action, Dictionary<string, string> Fields) FormPost(string html)
    {
        var action = FormAction().Match(html);
        Assert.True(action.Success, html);
        return (WebUtility.HtmlDecode(action.Groups[1].Value), HiddenFields(html));
    }

    private static Dictionary<string, string> HiddenFields(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"")]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenInput();
}
