using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The citizen portal in real headless Chromium (tests/interop/portal-browser.mjs, npm playwright-core) at a 390×844
/// phone viewport, against the real service on Kestrel: sign-in through the provider (code + PKCE), my certificates
/// with their statuses, QR shown and decoded from the screen and verified, consent switched on / granted / withdrawn
/// while a department looks the citizen up, the access log, and sign-out.
/// </summary>
public sealed class PortalBrowserTests : IAsyncLifetime
{
    private const string Purpose = "住房公积金提取核验";
    private const string MarriageType = ApiFactory.MarriageType;
    private const string PropertyType = ApiFactory.Housing + "001";
    private const string ConsentRequired = "urn:certlib:problem:consent-required";

    private readonly KestrelApi _host = new();
    private readonly string _number = CitizenId.Create("110105", new DateOnly(1985, 6, 1), 321).ToString();
    private readonly string _password = "portal-test " + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
    private HttpClient _anonymous = null!;
    private HttpClient _civil = null!;
    private HttpClient _housing = null!;

    public async Task InitializeAsync()
    {
        _host.StartServer();
        await DemoSeeder.SeedAsync(_host.Services, TextWriter.Null, default);
        await _host.Services.GetRequiredService<CitizenManager>().RegisterAsync(CitizenId.Parse(_number), "王小明", _password);
        _anonymous = new HttpClient { BaseAddress = new Uri(_host.BaseUrl) };
        _civil = await _host.DepartmentClientAsync(ApiFactory.CivilAffairs);
        _housing = await _host.DepartmentClientAsync(ApiFactory.Housing);
    }

    public Task DisposeAsync()
    {
        _anonymous.Dispose();
        _civil.Dispose();
        _housing.Dispose();
        _host.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Portal_InChromiumAtPhoneSize_SignInCertificatesQrConsentsAccessLogSignOut()
    {
        var marriage = await IssueAsync(_civil, new
        {
            typeCode = MarriageType,
            holder = new { idNumber = _number, name = "王小明" },
            number = "J110105-2026-" + RandomNumberGenerator.GetInt32(100000, 999999),
            fields = new { spouseName = "李四", registeredOn = "2020-05-20", registrationOffice = "北京市西城区民政局" },
        });
        var property = await IssueAsync(_housing, new
        {
            typeCode = PropertyType,
            holder = new { idNumber = _number, name = "王小明" },
            number = "P" + RandomNumberGenerator.GetInt32(100000, 999999),
            fields = new { address = "北京市西城区金融街1号", area = 89.5 },
        });
        using (var revoked = await _housing.PostAsJsonAsync($"/api/v1/certificates/{property}/revoke", new { reason = "产权已转移" }))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        var steps = new Dictionary<string, JsonElement>();
        await RunBrowserAsync(async (step, facts) =>
        {
            steps[step] = facts;
            switch (step)
            {
                case "qr":
                    var online = facts.GetProperty("qr").GetProperty("online");
                    var offline = facts.GetProperty("qr").GetProperty("offline");
                    Assert.StartsWith(_host.BaseUrl + "/v/", online.GetProperty("text").GetString(), StringComparison.Ordinal);
                    Assert.StartsWith("CL2:", offline.GetProperty("text").GetString(), StringComparison.Ordinal);
                    Assert.Contains("入住登记", online.GetProperty("caption").GetString(), StringComparison.Ordinal);
                    Assert.True(online.GetProperty("width").GetDouble() >= 300, "the QR is shown large");
                    foreach (var shown in new[] { online, offline })
                    {
                        var verified = await VerifyAsync(shown.GetProperty("text").GetString()!);
                        Assert.Equal("valid", verified.GetProperty("result").GetString());
                        Assert.Equal(marriage, verified.GetProperty("certificate").GetProperty("id").GetString());
                    }

                    return new { ok = true };
                case "consent-required-on":
                    await AssertLookupRefusedAsync();
                    return new { ok = true, department = ApiFactory.Housing, typeCode = MarriageType };
                case "consent-granted":
                    Assert.Contains("结婚证", facts.GetProperty("consentText").GetString(), StringComparison.Ordinal);
                    using (var granted = await LookupAsync())
                    {
                        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
                        var answer = await ApiFactory.JsonAsync(granted);
                        Assert.Equal([marriage], answer.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
                    }

                    return new { ok = true };
                case "consent-withdrawn":
                    await AssertLookupRefusedAsync();
                    return new { ok = true };
                default:
                    return null;
            }
        });

        var login = steps["login-page"];
        Assert.Contains("/connect/authorize", login.GetProperty("url").GetString(), StringComparison.Ordinal);

        var certificates = steps["certificates"];
        var cards = certificates.GetProperty("cards").EnumerateArray()
            .ToDictionary(c => c.GetProperty("id").GetString()!, c => (Status: c.GetProperty("status").GetString(), Label: c.GetProperty("label").GetString(), Title: c.GetProperty("title").GetString()));
        Assert.Equal(2, cards.Count);
        Assert.Equal(("valid", "有效", "结婚证"), cards[marriage]);
        Assert.Equal(("revoked", "已吊销", "不动产权证书"), cards[property]);
        var layout = certificates.GetProperty("layout");
        Assert.Equal(390, layout.GetProperty("viewport").GetInt32());
        Assert.True(layout.GetProperty("scrollWidth").GetInt32() <= 390, "no horizontal scrolling at 390 px");
        Assert.True(layout.GetProperty("smallestTarget").GetDouble() >= 44, $"tap targets at least 44 px high, smallest {layout.GetProperty("smallestTarget")}");
        Assert.Contains("width=device-width", layout.GetProperty("viewportMeta").GetString(), StringComparison.Ordinal);
        Assert.Equal("王小明，您好", layout.GetProperty("greeting").GetString());
        Assert.Equal(2, layout.GetProperty("pdfButtons").GetInt32());

        // 下载 PDF: the printable copy arrives as a file, and it is the marriage certificate's (its id is printed on it).
        var pdf = steps["pdf"];
        Assert.Equal("%PDF-", pdf.GetProperty("header").GetString());
        Assert.EndsWith(".pdf", pdf.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Contains(marriage, await ExternalTools.PdfTextAsync(Convert.FromBase64String(pdf.GetProperty("base64").GetString()!), Path.GetTempPath()), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (HttpStatusCode)certificates.GetProperty("withoutHeader").GetInt32());

        var log = steps["access-log"];
        Assert.Empty(log.GetProperty("consoleErrors").EnumerateArray());
        Assert.Equal(["401 /api/v1/me/certificates"], log.GetProperty("failed").EnumerateArray().Select(f => f.GetString()).Where(f => f != "404 /favicon.ico"));
        var lookups = log.GetProperty("log").EnumerateArray().Where(e => e.GetProperty("department").GetString() == ApiFactory.Housing).ToList();
        Assert.Equal(["consent-required", "ok", "consent-required"], lookups.Select(e => e.GetProperty("result").GetString()).Reverse());
        Assert.All(lookups, e =>
        {
            Assert.Contains(Purpose, e.GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Contains("住房和城乡建设部", e.GetProperty("text").GetString(), StringComparison.Ordinal);
        });
        Assert.Contains("结婚证", lookups[1].GetProperty("text").GetString(), StringComparison.Ordinal);

        var signedOut = steps["signed-out"];
        Assert.Contains("/connect/authorize", signedOut.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Contains("/connect/authorize", signedOut.GetProperty("again").GetString(), StringComparison.Ordinal);
        Assert.Equal(401, signedOut.GetProperty("apiStatus").GetInt32());

        var urls = steps["done"].GetProperty("urls").EnumerateArray().Select(u => u.GetString()!).ToList();
        Assert.Contains(urls, u => u.StartsWith(_host.BaseUrl + "/portal/callback?", StringComparison.Ordinal));
        Assert.Contains(urls, u => u.StartsWith(_host.BaseUrl + "/connect/endsession", StringComparison.Ordinal));
        Assert.DoesNotContain(urls, u => u.Contains(_number[..17], StringComparison.OrdinalIgnoreCase) || u.Contains("id_token_hint", StringComparison.Ordinal));
    }

    private Task RunBrowserAsync(Func<string, JsonElement, Task<object?>> onStep) =>
        BrowserScript.RunAsync("portal-browser.mjs", [_host.BaseUrl, JsonSerializer.Serialize(new { idNumber = _number, password = _password })], onStep);

    private async Task AssertLookupRefusedAsync()
    {
        using var refused = await LookupAsync();
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(ConsentRequired, (await ApiFactory.JsonAsync(refused)).GetProperty("type").GetString());
    }

    private Task<HttpResponseMessage> LookupAsync() =>
        _housing.PostAsJsonAsync("/api/v1/holders/lookup", new { idNumber = _number, purpose = Purpose });

    private async Task<JsonElement> VerifyAsync(string qr)
    {
        using var response = await _anonymous.PostAsJsonAsync("/api/v1/verify", new { qr });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiFactory.JsonAsync(response);
    }

    private static async Task<string> IssueAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/certificates", request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiFactory.JsonAsync(response)).GetProperty("id").GetString()!;
    }
}
