using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CertLibrary.Api.Infrastructure;

namespace CertLibrary.Api.Tests;

/// <summary>
/// Organisations as holders over HTTP (法人一码, SPEC §3/§6): issue with a credit code, lookup by code, verify, QR and
/// PDF with the organisation's face, and citizens acting for an organisation as its representatives.
/// </summary>
public sealed class OrganizationApiTests : IAsyncLifetime
{
    private const string Lookup = "/api/v1/holders/lookup";
    private const string Company = DemoSeeder.DemoCompanyCode;
    private const string OtherCitizen = "110101199003070097";

    private readonly ApiFactory _factory = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-org-").FullName;
    private HttpClient _civil = null!;
    private HttpClient _market = null!;
    private HttpClient _housing = null!;

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
        _market = await _factory.ClientForAsync(DemoSeeder.MarketRegulation, "certlib.issue", "certlib.use");
        _housing = await _factory.ClientForAsync(DemoSeeder.Housing, "certlib.issue", "certlib.use");
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Issue_Organization_AnswersCreditCodeHolder_VerifiesWithNameUnmasked()
    {
        using var response = await _market.PostAsJsonAsync("/api/v1/certificates", LicenceRequest(Company));
        var body = await ApiFactory.JsonAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(Company, body.GetProperty("holder").GetProperty("creditCode").GetString());
        Assert.Equal(DemoSeeder.DemoCompanyName, body.GetProperty("holder").GetProperty("name").GetString());
        Assert.False(body.GetProperty("holder").TryGetProperty("idNumber", out _));
        using var verify = await _factory.CreateClient().PostAsJsonAsync("/api/v1/verify", new { jws = body.GetProperty("signature") });
        var answer = await ApiFactory.JsonAsync(verify);
        Assert.Equal("valid", answer.GetProperty("result").GetString());
        Assert.Equal(DemoSeeder.DemoCompanyName, answer.GetProperty("certificate").GetProperty("holderName").GetString());
        Assert.Equal(Company, answer.GetProperty("certificate").GetProperty("holderCreditCode").GetString());
    }

    [Theory]
    [InlineData("91110108MA01DEM012", "check character")]
    [InlineData("91110108MA01DEMO11", "not allowed")]
    [InlineData("91110108MA01DEM01", "18 characters")]
    public async Task Issue_MalformedCreditCode_400NamingHolderCreditCode(string code, string hint)
    {
        using var response = await _market.PostAsJsonAsync("/api/v1/certificates", LicenceRequest(code));
        var problem = await ApiFactory.JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(hint, problem.GetProperty("errors").GetProperty("holder.creditCode")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_KindMismatch_400NamingTheFieldTheTypeNeeds()
    {
        var citizenOnLicence = new { typeCode = DemoSeeder.BusinessLicenceType, holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" }, number = "X-1", fields = LicenceFields() };
        var companyOnMarriage = new { typeCode = ApiFactory.MarriageType, holder = new { creditCode = Company, name = "某公司" }, number = "X-2", fields = new { spouseName = "李四", registeredOn = "2020-05-20", registrationOffice = "x" } };

        using var first = await _market.PostAsJsonAsync("/api/v1/certificates", citizenOnLicence);
        using var second = await _civil.PostAsJsonAsync("/api/v1/certificates", companyOnMarriage);

        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.True((await ApiFactory.JsonAsync(first)).GetProperty("errors").TryGetProperty("holder.creditCode", out _));
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.True((await ApiFactory.JsonAsync(second)).GetProperty("errors").TryGetProperty("holder.idNumber", out _));
    }

    [Fact]
    public async Task Lookup_ByCreditCode_OrganizationOnly_ByIdNumber_CitizenOnly_BothLogged()
    {
        var licence = await IssueAsync(_market, LicenceRequest(Company));
        var marriage = await IssueAsync(_civil, ApiFactory.MarriageRequest());

        var byCode = await LookupOkAsync(_housing, new { creditCode = Company, purpose = "企业开办" });
        var byNumber = await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "不动产登记" });
        using var both = await _housing.PostAsJsonAsync(Lookup, new { creditCode = Company, idNumber = ApiFactory.HolderNumber, purpose = "x" });
        using var badCode = await _housing.PostAsJsonAsync(Lookup, new { creditCode = "91110108MA01DEM012", purpose = "x" });

        Assert.Equal([licence], Ids(byCode));
        Assert.Equal([marriage], Ids(byNumber));
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badCode.StatusCode);
        Assert.True((await ApiFactory.JsonAsync(badCode)).GetProperty("errors").TryGetProperty("creditCode", out _));
    }

    [Fact]
    public async Task Lookup_ServiceItemForOrganization_SatisfiedAfterDemoCompanySeeded()
    {
        await DemoSeeder.SeedDemoCompanyAsync(_factory.Services, TextWriter.Null, default);

        var answer = await LookupOkAsync(_market, new { creditCode = Company, purpose = "卫生许可延续", serviceItem = "DEMO-MR-001" });

        Assert.True(answer.GetProperty("complete").GetBoolean());
        Assert.Equal(2, answer.GetProperty("satisfied").GetArrayLength());
        var permit = answer.GetProperty("certificates").EnumerateArray().Single(c => c.GetProperty("typeCode").GetString() == DemoSeeder.HygienePermitType);
        Assert.Equal("A", permit.GetProperty("fields").GetProperty("grade").GetString());
    }

    [Fact]
    public async Task Qr_Organization_OfflineHasCreditCodeAndNoBinding_VerifiesUnmasked()
    {
        var id = await IssueAsync(_market, LicenceRequest(Company));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form=offline");
        request.Headers.Accept.ParseAdd("text/plain");
        using var qrResponse = await _market.SendAsync(request);
        var qr = await qrResponse.Content.ReadAsStringAsync();
        Assert.True(qrResponse.IsSuccessStatusCode, qr);

        using var verify = await _factory.CreateClient().PostAsJsonAsync("/api/v1/verify", new { qr, idNumber = ApiFactory.HolderNumber });
        var answer = await ApiFactory.JsonAsync(verify);

        Assert.StartsWith("CL2:", qr, StringComparison.Ordinal);
        Assert.Equal("valid", answer.GetProperty("result").GetString());
        var certificate = answer.GetProperty("certificate");
        Assert.Equal(DemoSeeder.DemoCompanyName, certificate.GetProperty("holderName").GetString());
        // The offline QR leaves the credit code out (SPEC §5 size); the name is unmasked and there is no holder binding.
        Assert.False(certificate.TryGetProperty("holderCreditCode", out _));
        Assert.False(certificate.TryGetProperty("holderBinding", out _));
        Assert.False(answer.TryGetProperty("holderBinding", out _));
    }

    [Fact]
    public async Task Qr_OrganizationOnline_VerifierPageShowsNameAndCreditCode()
    {
        var id = await IssueAsync(_market, LicenceRequest(Company));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form=online&purpose=核验");
        request.Headers.Accept.ParseAdd("text/plain");
        using var qrResponse = await _market.SendAsync(request);
        var url = await qrResponse.Content.ReadAsStringAsync();

        var page = await _factory.CreateClient().GetStringAsync(new Uri(url).PathAndQuery);

        Assert.Contains(DemoSeeder.DemoCompanyName, page, StringComparison.Ordinal);
        Assert.Contains("<dt>统一社会信用代码</dt><dd>" + Company, page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pdf_Organization_PrintsNameAndCreditCode()
    {
        var id = await IssueAsync(_market, LicenceRequest(Company));

        using var response = await _market.GetAsync($"/api/v1/certificates/{id}/pdf");
        var pdf = await response.Content.ReadAsByteArrayAsync();
        var text = await ExternalTools.PdfTextAsync(pdf, _directory);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("营业执照", text, StringComparison.Ordinal);
        Assert.Contains("统一社会信用代码", text, StringComparison.Ordinal);
        Assert.Contains(Company, text, StringComparison.Ordinal);
        Assert.Contains(DemoSeeder.DemoCompanyName, text, StringComparison.Ordinal);
        Assert.DoesNotContain("公民身份号码", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Representative_LinkedActsForOrganization_UnlinkedGets403_AndEveryStepIsAudited()
    {
        var licence = await IssueAsync(_market, LicenceRequest(Company));
        await LookupOkAsync(_housing, new { creditCode = Company, purpose = "企业开办" });
        var representative = await _factory.CitizenClientAsync(ApiFactory.HolderNumber);
        var stranger = await _factory.CitizenClientAsync(OtherCitizen);
        var path = $"/api/v1/organizations/{Company}/representatives";

        using (var beforeLink = await representative.GetAsync($"/api/v1/me/organizations/{Company}/certificates"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, beforeLink.StatusCode);
        }

        using (var byUser = await _housing.PostAsJsonAsync(path, new { idNumber = ApiFactory.HolderNumber, role = "agent" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byUser.StatusCode); // uses the type, issued nothing to the company
        }

        using (var badRole = await _market.PostAsJsonAsync(path, new { idNumber = ApiFactory.HolderNumber, role = "owner" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
            Assert.True((await ApiFactory.JsonAsync(badRole)).GetProperty("errors").TryGetProperty("role", out _));
        }

        using (var link = await _market.PostAsJsonAsync(path, new { idNumber = ApiFactory.HolderNumber, role = "legal-representative" }))
        {
            Assert.Equal(HttpStatusCode.Created, link.StatusCode);
            Assert.Equal("1101**********002X", (await ApiFactory.JsonAsync(link)).GetProperty("maskedIdNumber").GetString());
        }

        var mine = await ApiFactory.JsonAsync(await representative.GetAsync("/api/v1/me/organizations"));
        Assert.Equal(Company, Assert.Single(mine.EnumerateArray()).GetProperty("creditCode").GetString());
        using (var switched = await representative.PostAsync($"/api/v1/me/organizations/{Company}/switch", null))
        {
            Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
        }

        var certificates = await ApiFactory.JsonAsync(await representative.GetAsync($"/api/v1/me/organizations/{Company}/certificates"));
        Assert.Equal(licence, Assert.Single(certificates.EnumerateArray()).GetProperty("id").GetString());
        var log = await ApiFactory.JsonAsync(await representative.GetAsync($"/api/v1/me/organizations/{Company}/access-log"));
        Assert.Equal("企业开办", log.GetProperty("items")[0].GetProperty("purpose").GetString());
        using (var qr = await representative.GetAsync($"/api/v1/me/organizations/{Company}/certificates/{licence}/qr?form=offline"))
        {
            Assert.Equal(HttpStatusCode.OK, qr.StatusCode);
            Assert.Equal("image/png", qr.Content.Headers.ContentType!.MediaType);
        }

        using (var strangers = await stranger.GetAsync($"/api/v1/me/organizations/{Company}/access-log"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, strangers.StatusCode);
        }

        Assert.Empty((await ApiFactory.JsonAsync(await representative.GetAsync("/api/v1/me/certificates"))).EnumerateArray());

        using (var unlink = await _market.PostAsJsonAsync(path + "/remove", new { idNumber = ApiFactory.HolderNumber }))
        {
            Assert.Equal(HttpStatusCode.OK, unlink.StatusCode);
        }

        foreach (var url in new[] { "certificates", "access-log", $"certificates/{licence}/qr" })
        {
            using var after = await representative.GetAsync($"/api/v1/me/organizations/{Company}/{url}");
            Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        }

        var view = await ApiFactory.JsonAsync(await _market.GetAsync(path));
        Assert.Empty(view.GetProperty("representatives").EnumerateArray());
        Assert.Equal(["unlink", "switch", "link"], view.GetProperty("audit").EnumerateArray().Select(a => a.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Representatives_TokenWithoutIssueOrAdminScope_403()
    {
        var reader = await _factory.ClientForAsync(DemoSeeder.MarketRegulation, "certlib.use");

        using var response = await reader.PostAsJsonAsync($"/api/v1/organizations/{Company}/representatives", new { idNumber = ApiFactory.HolderNumber, role = "agent" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("urn:certlib:problem:insufficient-scope", (await ApiFactory.JsonAsync(response)).GetProperty("type").GetString());
    }

    private static object LicenceRequest(string creditCode) => new
    {
        typeCode = DemoSeeder.BusinessLicenceType,
        holder = new { creditCode, name = DemoSeeder.DemoCompanyName },
        number = "YY" + Guid.NewGuid().ToString("N")[..10],
        fields = LicenceFields(),
    };

    private static object LicenceFields() => new
    {
        companyType = "有限责任公司", legalRepresentative = "张三", establishedOn = "2020-06-01", address = "北京市海淀区示范路 1 号", businessScope = "技术开发",
    };

    private static async Task<string> IssueAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/certificates", request);
        var body = await ApiFactory.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> LookupOkAsync(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync(Lookup, body);
        var answer = await ApiFactory.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer.ToString());
        return answer;
    }

    private static string[] Ids(JsonElement answer) => [.. answer.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("id").GetString()!)];
}
