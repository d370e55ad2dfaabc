using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The citizen portal's server side over HTTP: its sign-in callback refuses what it must (no sign-in in progress, wrong
/// state, wrong or missing iss, provider errors, forged codes), the cookie session reaches /api/v1/me only with the
/// portal header, the citizen QR endpoint serves only the citizen's own certificates, and the pages carry their headers.
/// The whole journey in a real browser is <see cref="PortalBrowserTests"/>.
/// </summary>
public sealed partial class PortalTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly ApiFactory _factory = new();
    private readonly string _me = CitizenId.Create("110105", new DateOnly(1988, 8, 8), 135).ToString();
    private readonly string _other = CitizenId.Create("110105", new DateOnly(1990, 2, 3), 456).ToString();
    private HttpClient _civil = null!;

    public async Task InitializeAsync()
    {
        _ = _factory.Server;
        await _factory.SeedAsync();
        var citizens = _factory.Services.GetRequiredService<CitizenManager>();
        Assert.NotNull((await citizens.RegisterAsync(CitizenId.Parse(_me), "张小三", Password)).Citizen);
        Assert.NotNull((await citizens.RegisterAsync(CitizenId.Parse(_other), "李小四", Password)).Citizen);
        _civil = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task PortalClient_RegisteredAtStartUp_WithExactRedirectUris()
    {
        var client = await _factory.Services.GetRequiredService<ClientManager>().FindAsync(CitizenPortal.ClientId);

        Assert.NotNull(client);
        Assert.Equal(["http://localhost/portal/callback"], client.RedirectUris);
        Assert.Equal(["http://localhost/portal/"], client.PostLogoutRedirectUris);
        Assert.Equal(["openid", "profile", "certlib.me.read", "certlib.me.manage"], client.Scopes);
        Assert.True(client.IsFirstParty); // the citizen API scopes without the consent screen
        Assert.Null(client.DepartmentCode);
    }

    [Fact]
    public async Task Portal_NotSignedIn_RedirectsToAuthorizeWithPkceStateNonce()
    {
        var browser = Browser();

        using var page = await browser.GetAsync("/portal");
        using var login = await browser.GetAsync("/portal/login");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/portal/login", page.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var location = login.Headers.Location!;
        Assert.Equal("http://localhost/connect/authorize", location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal(CitizenPortal.ClientId, query["client_id"]);
        Assert.Equal("http://localhost/portal/callback", query["redirect_uri"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.True(query["state"].ToString().Length >= 43 && query["nonce"].ToString().Length >= 43);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("certlib.portal.auth=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/portal", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignIn_ThroughProvider_SessionReachesMeOnlyWithPortalHeader()
    {
        var browser = await SignInAsync(_me);

        using var page = await browser.GetAsync("/portal/");
        var session = await ApiFactory.JsonAsync(await browser.GetAsync("/portal/session"));
        using var withHeader = await Me(browser, "/api/v1/me/certificates");
        using var withoutHeader = await browser.GetAsync("/api/v1/me/certificates");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("张小三", session.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, withHeader.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutHeader.StatusCode);
    }

    [Fact]
    public async Task Callback_WithoutSignInInProgress_400NoSession()
    {
        var browser = Browser();

        using var response = await browser.GetAsync("/portal/callback?code=abc&state=xyz&iss=http%3A%2F%2Flocalhost");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("登录请求已过期", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(SetCookies(response), c => c.StartsWith("certlib.portal=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("wrong-state", "http://localhost", "state")]
    [InlineData(null, "http://evil.example", "iss")]
    [InlineData(null, "", "iss")]
    [InlineData(null, "http://localhost", "error")]
    [InlineData(null, "http://localhost", "forged-code")]
    public async Task Callback_StateIssErrorOrCodeWrong_400NoSession(string? state, string iss, string wrong)
    {
        var browser = Browser();
        using var login = await browser.GetAsync("/portal/login");
        var realState = QueryHelpers.ParseQuery(login.Headers.Location!.Query)["state"].ToString();
        var query = new Dictionary<string, string?> { ["state"] = state ?? realState, ["iss"] = iss };
        if (wrong == "error")
        {
            query["error"] = "access_denied";
        }
        else
        {
            query["code"] = "forged-" + Guid.NewGuid().ToString("N");
        }

        using var response = await browser.GetAsync(QueryHelpers.AddQueryString("/portal/callback", query));
        using var after = await browser.GetAsync("/portal");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("id=\"retry\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(SetCookies(response), c => c.StartsWith("certlib.portal=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Callback_Replayed_400()
    {
        var browser = Browser();
        using var login = await browser.GetAsync("/portal/login");
        var (callback, _) = await LoginAtProviderAsync(browser, login.Headers.Location!, _me);

        using var first = await browser.GetAsync(callback);
        using var replay = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
    }

    [Fact]
    public async Task Session_ForgedCookie_NotSignedIn()
    {
        var browser = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        browser.DefaultRequestHeaders.Add("Cookie", "certlib.portal=" + new string('A', 400));

        using var page = await browser.GetAsync("/portal");
        using var me = await Me(browser, "/api/v1/me/certificates");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task MyQr_OwnCertificate_OfflineAndOnline_OtherCitizens404()
    {
        var mine = await IssueAsync(_me);
        var theirs = await IssueAsync(_other);
        var browser = await SignInAsync(_me);

        using var offline = await Me(browser, $"/api/v1/me/certificates/{mine}/qr?form=offline", "text/plain");
        using var online = await Me(browser, $"/api/v1/me/certificates/{mine}/qr?form=online&purpose=入住登记", "text/plain");
        using var png = await Me(browser, $"/api/v1/me/certificates/{mine}/qr?form=offline");
        using var other = await Me(browser, $"/api/v1/me/certificates/{theirs}/qr?form=offline");
        using var badForm = await Me(browser, $"/api/v1/me/certificates/{mine}/qr?form=paper");
        using var department = await _civil.GetAsync($"/api/v1/me/certificates/{mine}/qr");

        var offlineText = await offline.Content.ReadAsStringAsync();
        Assert.StartsWith("CL2:", offlineText, StringComparison.Ordinal);
        Assert.DoesNotContain(_me, offlineText, StringComparison.Ordinal);
        var onlineText = await online.Content.ReadAsStringAsync();
        Assert.StartsWith("http://localhost/v/", onlineText, StringComparison.Ordinal);
        var verified = await ApiFactory.JsonAsync(await _factory.CreateClient().PostAsJsonAsync("/api/v1/verify", new { qr = onlineText }));
        Assert.Equal("valid", verified.GetProperty("result").GetString());
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-store", png.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("urn:certlib:problem:not-found", (await ApiFactory.JsonAsync(other)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badForm.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, department.StatusCode);
    }

    [Fact]
    public async Task MyDirectory_NamesDepartmentsAndTypes()
    {
        var browser = await SignInAsync(_me);

        var directory = await ApiFactory.JsonAsync(await Me(browser, "/api/v1/me/directory"));

        Assert.Contains(directory.GetProperty("departments").EnumerateArray(),
            d => d.GetProperty("code").GetString() == ApiFactory.Housing && d.GetProperty("name").GetString() == "住房和城乡建设部");
        Assert.Contains(directory.GetProperty("certificateTypes").EnumerateArray(),
            t => t.GetProperty("code").GetString() == ApiFactory.MarriageType && t.GetProperty("name").GetString() == "结婚证" && t.GetProperty("qrMode").GetString() == "both");
    }

    [Fact]
    public async Task Logout_PostsIdTokenToEndSession_NeverInUrl_EndsSso()
    {
        var browser = await SignInAsync(_me);

        using var logout = await browser.PostAsync("/portal/logout", null);
        var html = await logout.Content.ReadAsStringAsync();
        var fields = HiddenFields(html);
        using var endSession = await browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(fields));
        using var portal = await browser.GetAsync("/portal");
        using var login = await browser.GetAsync("/portal/login");
        using var authorize = await browser.GetAsync(login.Headers.Location);

        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Contains("action=\"http://localhost/connect/endsession\"", html, StringComparison.Ordinal);
        Assert.Contains("/portal/signout.js", html, StringComparison.Ordinal);
        Assert.Contains("id_token_hint", fields.Keys);
        Assert.Equal("http://localhost/portal/", fields["post_logout_redirect_uri"]);
        Assert.Contains(SetCookies(logout), c => c.StartsWith("certlib.portal=;", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Redirect, endSession.StatusCode);
        Assert.Equal("http://localhost/portal/", endSession.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, portal.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorize.StatusCode); // the login form again: the SSO session ended
        Assert.Contains("id=\"password\"", await authorize.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_CrossSite_403KeepsSession()
    {
        var browser = await SignInAsync(_me);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/portal/logout");
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await browser.SendAsync(request);
        using var me = await Me(browser, "/api/v1/me/certificates");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    [Theory]
    [InlineData("/portal/", null)]
    [InlineData("/portal/app.js", "text/javascript")]
    [InlineData("/portal/app.css", "text/css")]
    [InlineData("/portal/signout.js", "text/javascript")]
    public async Task PortalFiles_CarryAntiFramingAndCsp(string path, string? mediaType)
    {
        var browser = await SignInAsync(_me);

        using var response = await browser.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType ?? "text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortalPage_PhoneViewport_NoInlineScriptNoExternalUrls()
    {
        var browser = await SignInAsync(_me);
        var html = await (await browser.GetAsync("/portal/")).Content.ReadAsStringAsync();
        var script = await (await browser.GetAsync("/portal/app.js")).Content.ReadAsStringAsync();

        Assert.Contains("name=\"viewport\" content=\"width=device-width", html, StringComparison.Ordinal);
        Assert.Matches(ScriptTag(), html);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("//", html.Replace("<!--", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotMatch("https?://", script);
        Assert.DoesNotContain("localStorage", script, StringComparison.Ordinal);
        Assert.Contains("/api/v1/me/certificates/${encodeURIComponent(c.id)}/pdf", script, StringComparison.Ordinal);
    }

    private HttpClient Browser() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<HttpResponseMessage> Me(HttpClient browser, string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(CitizenPortal.RequestHeader, "1");
        if (accept is not null)
        {
            request.Headers.Add("Accept", accept);
        }

        return await browser.SendAsync(request);
    }

    /// <summary>Signs in as a browser would: /portal/login, the provider's login form, the callback.</summary>
    private async Task<HttpClient> SignInAsync(string idNumber)
    {
        var browser = Browser();
        using var login = await browser.GetAsync("/portal/login");
        var (callback, _) = await LoginAtProviderAsync(browser, login.Headers.Location!, idNumber);
        using var done = await browser.GetAsync(callback);
        Assert.True(done.StatusCode == HttpStatusCode.Redirect, await done.Content.ReadAsStringAsync());
        Assert.Equal("/portal/", done.Headers.Location!.OriginalString);
        var cookie = Assert.Single(SetCookies(done), c => c.StartsWith("certlib.portal=", StringComparison.Ordinal));
        Assert.True(cookie.Length < 4000, $"the session cookie fits every browser's limit ({cookie.Length} bytes)");
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(".", cookie.Split(';')[0]["certlib.portal=".Length..], StringComparison.Ordinal); // sealed, not a readable JWT
        return browser;
    }

    private static async Task<(Uri Callback, string State)> LoginAtProviderAsync(HttpClient browser, Uri authorize, string idNumber)
    {
        using var page = await browser.GetAsync(authorize);
        var fields = HiddenFields(await page.Content.ReadAsStringAsync());
        fields["idNumber"] = idNumber;
        fields["password"] = Password;
        using var posted = await browser.PostAsync("/connect/authorize/login", new FormUrlEncodedContent(fields));
        Assert.True(posted.StatusCode == HttpStatusCode.Redirect, await posted.Content.ReadAsStringAsync());
        var callback = posted.Headers.Location!;
        Assert.StartsWith("http://localhost/portal/callback?", callback.OriginalString, StringComparison.Ordinal);
        return (callback, QueryHelpers.ParseQuery(callback.Query)["state"].ToString());
    }

    private static Dictionary<string, string> HiddenFields(string html) =>
        HiddenField().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));

    private static IEnumerable<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];

    private async Task<string> IssueAsync(string idNumber)
    {
        using var response = await ApiFactory.PostJsonAsync(_civil, "/api/v1/certificates", ApiFactory.MarriageRequest(idNumber));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiFactory.JsonAsync(response)).GetProperty("id").GetString()!;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenField();

    [GeneratedRegex("<script src=\"/portal/app.js\"")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("<script(?![^>]*\\ssrc=)[^>]*>")]
    private static partial Regex InlineScript();
}
