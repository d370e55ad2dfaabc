using System.Diagnostics;
using Xunit.Abstractions;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity.Tests;

/// <summary>Single sign-on and single logout across the two sample portals: in headless Chromium, and the portal's logout-token checks.</summary>
public sealed class PortalSsoTests(PortalSsoEnvironment environment, ITestOutputHelper output) : IClassFixture<PortalSsoEnvironment>
{
    [Fact]
    public async Task Chromium_SignInOnShebao_SsoOnZhufang_LogoutOnZhufang_EndsBothPortalsAndTheProviderSession()
    {
        var interop = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../interop"));
        Assert.True(Directory.Exists(Path.Combine(interop, "node_modules", "playwright-core")), "run `npm ci` in tests/interop");
        var start = new ProcessStartInfo("node", "sso-browser.mjs") { WorkingDirectory = interop, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PROVIDER"] = environment.Authority;
        start.Environment["PORTAL_A"] = environment.Shebao.Url;
        start.Environment["PORTAL_B"] = environment.Zhufang.Url;
        start.Environment["ID_NUMBER"] = environment.CitizenId.ToString();
        start.Environment["PASSWORD"] = PortalSsoEnvironment.Password;

        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(node.ExitCode == 0, await stderr);
        output.WriteLine(await stdout);
        var result = JsonDocument.Parse(await stdout).RootElement;
        // 1. 社保: sent to the provider's login page, back signed in.
        Assert.Equal(environment.Authority + "/connect/authorize", result.GetProperty("aFirstPage").GetString());
        Assert.True(result.GetProperty("aShowedLogin").GetBoolean());
        Assert.Equal("已登录: " + PortalSsoEnvironment.CitizenName, result.GetProperty("aUser").GetString());
        // 2. 住房: went through the provider, which redirected straight back (no 200 login page), signed in.
        var providerPages = result.GetProperty("bProviderPages").EnumerateArray().ToList();
        Assert.NotEmpty(providerPages);
        Assert.All(providerPages, p => Assert.Equal(302, p.GetProperty("status").GetInt32()));
        Assert.Contains(providerPages, p => p.GetProperty("path").GetString() == "/connect/authorize");
        Assert.Equal("已登录: " + PortalSsoEnvironment.CitizenName, result.GetProperty("bUser").GetString());
        // 3. Logout on 住房.
        Assert.Equal("您已退出登录。", result.GetProperty("bSignedOut").GetString());
        // 4. 社保 on reload: signed out (back-channel logout), sent to a login page that asks for the password again.
        Assert.Equal(JsonValueKind.Null, result.GetProperty("aAfterLogoutUser").ValueKind);
        Assert.True(result.GetProperty("aAfterLogoutShowsLogin").GetBoolean(), result.GetProperty("aAfterLogoutPage").GetString());
        // 5. 住房 again: the provider's session is gone.
        Assert.True(result.GetProperty("bAgainShowsLogin").GetBoolean(), result.GetProperty("bAgainPage").GetString());
    }

    [Fact]
    public async Task Portal_ForgedOrMalformedLogoutTokens_RefusedAndSessionKept_GenuineOneEndsItOnce()
    {
        var portal = environment.Shebao;
        using var browser = new PortalBrowser();
        await browser.SignInAsync(environment, portal);
        var sid = SecretHasher.HandleHash(browser.Cookie(environment.Authority, "certlib.sso"));
        var tokens = environment.Provider.Services.GetRequiredService<TokenFactory>();
        var issuer = environment.Authority;
        var events = new Dictionary<string, object> { [IdentityConstants.BackChannelLogoutEvent] = new Dictionary<string, object>() };
        Dictionary<string, object> Claims(Action<Dictionary<string, object>>? change = null)
        {
            var claims = new Dictionary<string, object> { ["sub"] = environment.Subject, ["sid"] = sid, ["jti"] = Guid.NewGuid().ToString("N"), ["events"] = events };
            change?.Invoke(claims);
            return claims;
        }

        var kid = new JsonWebToken(await tokens.CreateLogoutTokenAsync(issuer, portal.ClientId, environment.Subject, sid, default)).Kid;
        var forged = new Dictionary<string, string>
        {
            ["signed by another key with the provider's kid"] = ForeignSigned(issuer, portal.ClientId, kid, Claims()),
            ["unsigned (alg none)"] = Unsigned(issuer, portal.ClientId, Claims()),
            ["typ JWT (an ID token's type)"] = await tokens.CreateJwtAsync(issuer, portal.ClientId, "JWT", TimeSpan.FromMinutes(2), Claims(), default),
            ["with a nonce"] = await tokens.CreateJwtAsync(issuer, portal.ClientId, "logout+jwt", TimeSpan.FromMinutes(2), Claims(c => c["nonce"] = "n"), default),
            ["without events"] = await tokens.CreateJwtAsync(issuer, portal.ClientId, "logout+jwt", TimeSpan.FromMinutes(2), Claims(c => c.Remove("events")), default),
            ["with another event"] = await tokens.CreateJwtAsync(issuer, portal.ClientId, "logout+jwt", TimeSpan.FromMinutes(2),
                Claims(c => c["events"] = new Dictionary<string, object> { ["http://schemas.openid.net/event/other"] = new Dictionary<string, object>() }), default),
            ["for another portal"] = await tokens.CreateLogoutTokenAsync(issuer, environment.Zhufang.ClientId, environment.Subject, sid, default),
            ["from another issuer"] = await tokens.CreateLogoutTokenAsync("http://localhost:1", portal.ClientId, environment.Subject, sid, default),
            ["expired"] = await tokens.CreateJwtAsync(issuer, portal.ClientId, "logout+jwt", TimeSpan.FromMinutes(-3), Claims(), default),
            ["without sid and sub"] = await tokens.CreateJwtAsync(issuer, portal.ClientId, "logout+jwt", TimeSpan.FromMinutes(2), Claims(c => { c.Remove("sid"); c.Remove("sub"); }), default),
        };

        foreach (var (what, token) in forged)
        {
            using var refused = await browser.PostBackChannelAsync(portal, token);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, what);
            Assert.True(await browser.IsSignedInAsync(portal), what);
        }

        using var missing = await browser.Http.PostAsync(portal.Url + "/signout-backchannel", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        var genuine = await tokens.CreateLogoutTokenAsync(issuer, portal.ClientId, environment.Subject, sid, default);
        using var accepted = await browser.PostBackChannelAsync(portal, genuine);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.False(await browser.IsSignedInAsync(portal));
        using var replayed = await browser.PostBackChannelAsync(portal, genuine);
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
    }

    [Fact]
    public async Task Portal_CallbackWithForeignIss_RefusedWithoutSession()
    {
        var portal = environment.Zhufang;
        using var browser = new PortalBrowser();
        using var submitted = await browser.SubmitProviderLoginAsync(environment, portal.Url + "/");
        var callback = submitted.Headers.Location!.ToString();
        var query = QueryHelpers.ParseQuery(new Uri(callback).Query).ToDictionary(p => p.Key, p => (string?)p.Value.ToString());

        // RFC 9207: a response claiming to come from another issuer (mix-up) is refused.
        query["iss"] = "https://evil.example";
        var (answer, _) = await browser.FollowAsync(QueryHelpers.AddQueryString(portal.Url + "/signin-oidc", query));

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.False(await browser.IsSignedInAsync(portal));
    }

    [Fact]
    public async Task Portal_ProviderUnreachable_ExplainsWith503()
    {
        var url = "http://127.0.0.1:" + PortalSsoEnvironment.FreePort();
        await using var app = CertLibrary.PortalSample.PortalApplication.Create([], builder =>
        {
            builder.WebHost.UseUrls(url);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Portal:Authority"] = "http://127.0.0.1:" + PortalSsoEnvironment.FreePort(),
                ["Portal:ClientId"] = "portal-offline",
                ["Portal:ClientSecret"] = "secret",
            });
        });
        await app.StartAsync();
        using var browser = new PortalBrowser();

        var (login, _) = await browser.FollowAsync(url + "/");
        using var backChannel = await browser.PostBackChannelAsync(new Portal(url, "portal-offline", app), "a.b.c");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
        Assert.Contains("统一身份认证服务暂时无法访问", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, backChannel.StatusCode);
    }

    private static string ForeignSigned(string issuer, string audience, string kid, Dictionary<string, object> claims)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = DateTime.UtcNow,
            Expires = DateTime.UtcNow.AddMinutes(2),
            TokenType = "logout+jwt",
            Claims = claims,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    private static string Unsigned(string issuer, string audience, Dictionary<string, object> claims)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(claims) { ["iss"] = issuer, ["aud"] = audience, ["iat"] = now, ["exp"] = now + 120 };
        string Encode(object value) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value)));
        return Encode(new { alg = "none", typ = "logout+jwt" }) + "." + Encode(payload) + ".";
    }
}

/// <summary>A cookie-keeping HTTP client that follows redirects itself, to sign in on a portal without a browser.</summary>
public sealed class PortalBrowser : IDisposable
{
    private readonly CookieContainer _cookies = new();

    public PortalBrowser() => Http = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, AllowAutoRedirect = false });

    public HttpClient Http { get; }

    public string Cookie(string url, string name) => _cookies.GetCookies(new Uri(url))[name]?.Value ?? throw new InvalidOperationException($"no cookie {name}");

    public async Task<(HttpResponseMessage Response, Uri Url)> FollowAsync(string url)
    {
        var current = new Uri(url);
        for (var i = 0; i < 10; i++)
        {
            var response = await Http.GetAsync(current);
            if ((int)response.StatusCode is < 300 or >= 400)
            {
                return (response, current);
            }

            current = new Uri(current, response.Headers.Location!);
            response.Dispose();
        }

        throw new InvalidOperationException("too many redirects");
    }

    /// <summary>Opens <paramref name="portalUrl"/>, follows it to the provider's login page and submits the citizen's number and password there.</summary>
    public async Task<HttpResponseMessage> SubmitProviderLoginAsync(PortalSsoEnvironment environment, string portalUrl)
    {
        var (login, _) = await FollowAsync(portalUrl);
        var html = await login.Content.ReadAsStringAsync();
        return await Http.PostAsync(environment.Authority + "/connect/authorize/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["request"] = OidcFlow.Field(html, "request"),
            ["__RequestVerificationToken"] = OidcFlow.Field(html, "__RequestVerificationToken"),
            ["idNumber"] = environment.CitizenId.ToString(),
            ["password"] = PortalSsoEnvironment.Password,
        }));
    }

    public async Task SignInAsync(PortalSsoEnvironment environment, Portal portal)
    {
        using var submitted = await SubmitProviderLoginAsync(environment, portal.Url + "/");
        var (home, url) = await FollowAsync(new Uri(new Uri(environment.Authority), submitted.Headers.Location!).ToString());
        Assert.Equal(portal.Url + "/", url.ToString());
        Assert.Contains("已登录: " + PortalSsoEnvironment.CitizenName, await home.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public async Task<bool> IsSignedInAsync(Portal portal)
    {
        using var response = await Http.GetAsync(portal.Url + "/");
        return response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("已登录", StringComparison.Ordinal);
    }

    public Task<HttpResponseMessage> PostBackChannelAsync(Portal portal, string logoutToken) =>
        Http.PostAsync(portal.Url + "/signout-backchannel", new FormUrlEncodedContent(new Dictionary<string, string> { ["logout_token"] = logoutToken }));

    public void Dispose() => Http.Dispose();
}
