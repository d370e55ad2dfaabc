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
/// The portal's organisation view in real headless Chromium (tests/interop/portal-organization.mjs) on Kestrel: a
/// citizen linked as the demo company's legal representative signs in as themselves, switches to the company, sees its
/// certificates, shows an offline QR that verifies with the company's name unmasked, reads who looked the company up,
/// and is refused the moment the link is removed.
/// </summary>
public sealed class OrganizationPortalBrowserTests : IAsyncLifetime
{
    private const string Purpose = "企业住房公积金缴存登记";
    private const string Company = DemoSeeder.DemoCompanyCode;

    private readonly KestrelApi _host = new();
    private readonly string _number = CitizenId.Create("110105", new DateOnly(1980, 3, 1), 77).ToString();
    private readonly string _password = "org-portal " + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
    private HttpClient _anonymous = null!;
    private HttpClient _market = null!;
    private HttpClient _housing = null!;

    public async Task InitializeAsync()
    {
        _host.StartServer();
        await DemoSeeder.SeedAsync(_host.Services, TextWriter.Null, default);
        await DemoSeeder.SeedDemoCompanyAsync(_host.Services, TextWriter.Null, default);
        await _host.Services.GetRequiredService<CitizenManager>().RegisterAsync(CitizenId.Parse(_number), "赵经理", _password);
        _anonymous = new HttpClient { BaseAddress = new Uri(_host.BaseUrl) };
        _market = await _host.DepartmentClientAsync(DemoSeeder.MarketRegulation);
        _housing = await _host.DepartmentClientAsync(DemoSeeder.Housing);
    }

    public Task DisposeAsync()
    {
        _anonymous.Dispose();
        _market.Dispose();
        _housing.Dispose();
        _host.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Portal_Representative_SwitchesToCompany_SeesCertificatesQrAndAccessLog_RefusedOnceUnlinked()
    {
        var path = $"/api/v1/organizations/{Company}/representatives";
        using (var link = await _market.PostAsJsonAsync(path, new { idNumber = _number, role = "legal-representative" }))
        {
            Assert.Equal(HttpStatusCode.Created, link.StatusCode);
        }

        using (var lookup = await _housing.PostAsJsonAsync("/api/v1/holders/lookup", new { creditCode = Company, purpose = Purpose }))
        {
            Assert.Equal(2, (await ApiFactory.JsonAsync(lookup)).GetProperty("certificates").GetArrayLength());
        }

        var steps = new Dictionary<string, JsonElement>();
        await BrowserScript.RunAsync("portal-organization.mjs", [_host.BaseUrl, JsonSerializer.Serialize(new { idNumber = _number, password = _password, creditCode = Company })],
            async (step, facts) =>
            {
                steps[step] = facts;
                switch (step)
                {
                    case "qr":
                        var text = facts.GetProperty("text").GetString();
                        Assert.StartsWith("CL2:", text, StringComparison.Ordinal);
                        using (var response = await _anonymous.PostAsJsonAsync("/api/v1/verify", new { qr = text }))
                        {
                            var answer = await ApiFactory.JsonAsync(response);
                            Assert.Equal("valid", answer.GetProperty("result").GetString());
                            Assert.Equal(DemoSeeder.DemoCompanyName, answer.GetProperty("certificate").GetProperty("holderName").GetString());
                            Assert.False(answer.GetProperty("certificate").TryGetProperty("holderCreditCode", out _));
                        }

                        Assert.Contains("统一社会信用代码", facts.GetProperty("caption").GetString(), StringComparison.Ordinal);
                        return new { ok = true };
                    case "access-log":
                        using (var unlink = await _market.PostAsJsonAsync(path + "/remove", new { idNumber = _number }))
                        {
                            Assert.Equal(HttpStatusCode.OK, unlink.StatusCode);
                        }

                        return new { ok = true };
                    default:
                        return null;
                }
            });

        var organization = steps["organization"];
        Assert.Contains(organization.GetProperty("choices").EnumerateArray(),
            c => c.GetProperty("value").GetString() == Company && c.GetProperty("text").GetString()!.Contains("法定代表人", StringComparison.Ordinal));
        Assert.Empty(organization.GetProperty("own").EnumerateArray());
        var cards = organization.GetProperty("cards").EnumerateArray().ToList();
        Assert.Equal(2, cards.Count);
        Assert.All(cards, c =>
        {
            Assert.Equal("valid", c.GetProperty("status").GetString());
            Assert.Contains(Company, c.GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Contains(DemoSeeder.DemoCompanyName, c.GetProperty("text").GetString(), StringComparison.Ordinal);
        });
        Assert.Contains(cards, c => c.GetProperty("text").GetString()!.Contains("公共场所卫生许可证", StringComparison.Ordinal));
        var view = organization.GetProperty("view");
        Assert.Contains(DemoSeeder.DemoCompanyName, view.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Contains("法定代表人", view.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.False(view.GetProperty("consentsTab").GetBoolean());
        Assert.Equal(0, view.GetProperty("pdfButtons").GetInt32());
        Assert.True(view.GetProperty("scrollWidth").GetInt32() <= 390, "no horizontal scrolling at 390 px");

        var log = steps["access-log"].GetProperty("log").EnumerateArray().ToList();
        var housingRead = Assert.Single(log, e => e.GetProperty("department").GetString() == DemoSeeder.Housing);
        Assert.Equal("ok", housingRead.GetProperty("result").GetString());
        Assert.Contains(Purpose, housingRead.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("营业执照", housingRead.GetProperty("text").GetString(), StringComparison.Ordinal);

        var unlinked = steps["unlinked"];
        Assert.Contains("403", unlinked.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("", unlinked.GetProperty("acting").GetString());
        Assert.Empty(unlinked.GetProperty("cards").EnumerateArray());
        Assert.Empty(unlinked.GetProperty("consoleErrors").EnumerateArray());

        var audit = (await ApiFactory.JsonAsync(await _market.GetAsync(path))).GetProperty("audit").EnumerateArray().ToList();
        // Newest first: this test's link, switch and unlink, after the demo seed's link of the demo citizen; the refused
        // switch after the unlink left no entry.
        Assert.Equal(["unlink", "switch", "link", "link"], audit.Select(a => a.GetProperty("action").GetString()));
        Assert.Single(audit.Take(3).Select(a => a.GetProperty("citizenKey").GetString()).Distinct());
        Assert.NotEqual(audit[0].GetProperty("citizenKey").GetString(), audit[3].GetProperty("citizenKey").GetString());
    }
}
