using System.Net;
using System.Net.Http.Json;

namespace CertLibrary.Api.Tests;

public sealed class AdminApiTests : IAsyncLifetime
{
    private const string NewDepartment = "91350100M000100Y43";
    private readonly ApiFactory _factory = new()
    {
        Settings = new Dictionary<string, string>
        {
            ["CERTLIB_ADMIN_CLIENT_ID"] = "bootstrap-admin",
            ["CERTLIB_ADMIN_CLIENT_SECRET"] = "bootstrap-admin-secret-0123456789",
        },
    };

    public Task InitializeAsync()
    {
        _ = _factory.Server;
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    private async Task<HttpClient> BootstrapAdminAsync()
    {
        var http = _factory.CreateClient();
        var token = await ApiFactory.TokenAsync(http, new("bootstrap-admin", "bootstrap-admin-secret-0123456789"));
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    [Fact]
    public async Task BootstrapAdmin_CreatesDepartmentTypeClient_AndTheClientIssues()
    {
        var admin = await BootstrapAdminAsync();

        using var department = await admin.PostAsJsonAsync("/api/v1/admin/departments", new { code = NewDepartment, name = "福州市市场监督管理局" });
        using var type = await admin.PostAsJsonAsync("/api/v1/admin/certificate-types", new
        {
            code = NewDepartment + "001",
            name = "食品经营许可证",
            fields = new[] { new { name = "scope", type = "string", required = true, sensitive = false } },
            validityYears = 5,
            qrMode = "offline",
            issuers = new[] { NewDepartment },
            users = new[] { NewDepartment },
        });
        using var client = await admin.PostAsJsonAsync("/api/v1/admin/clients", new { departmentCode = NewDepartment, name = "福州市场监管", scopes = new[] { "certlib.issue" } });
        using var duplicate = await admin.PostAsJsonAsync("/api/v1/admin/departments", new { code = NewDepartment, name = "again" });

        Assert.Equal(HttpStatusCode.Created, department.StatusCode);
        Assert.Equal(HttpStatusCode.Created, type.StatusCode);
        Assert.Equal(HttpStatusCode.Created, client.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var credentials = await ApiFactory.JsonAsync(client);
        var issuer = _factory.CreateClient();
        issuer.DefaultRequestHeaders.Authorization = new("Bearer", await ApiFactory.TokenAsync(issuer,
            new(credentials.GetProperty("clientId").GetString()!, credentials.GetProperty("clientSecret").GetString()!)));
        using var issued = await issuer.PostAsJsonAsync("/api/v1/certificates", new
        {
            typeCode = NewDepartment + "001",
            holder = new { idNumber = ApiFactory.HolderNumber, name = "王五" },
            number = "JY13501000000001",
            fields = new { scope = "预包装食品销售" },
        });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var listed = await ApiFactory.JsonAsync(await admin.GetAsync("/api/v1/admin/clients"));
        Assert.DoesNotContain("clientSecret", listed.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AdminInputs_Invalid_400NamingFields()
    {
        var admin = await BootstrapAdminAsync();

        using var badDepartment = await admin.PostAsJsonAsync("/api/v1/admin/departments", new { code = "91350100M000100Y44", name = "" });
        using var badType = await admin.PostAsJsonAsync("/api/v1/admin/certificate-types", new
        {
            code = "123",
            name = "x",
            fields = new[] { new { name = "a b", type = "string", required = true }, new { name = "n", type = "money", required = false } },
            qrMode = "paper",
            issuers = new[] { "11100000000013338W" },
            users = Array.Empty<string>(),
        });
        using var badCitizen = await admin.PostAsJsonAsync("/api/v1/admin/citizens", new { idNumber = "110105194902290021", name = "张三", password = "long enough password" });
        using var shortPassword = await admin.PostAsJsonAsync("/api/v1/admin/citizens", new { idNumber = ApiFactory.HolderNumber, name = "张三", password = "short" });

        var departmentErrors = (await ApiFactory.JsonAsync(badDepartment)).GetProperty("errors");
        Assert.True(departmentErrors.TryGetProperty("code", out _));
        Assert.True(departmentErrors.TryGetProperty("name", out _));
        var typeErrors = (await ApiFactory.JsonAsync(badType)).GetProperty("errors");
        foreach (var field in new[] { "code", "fields[0].name", "fields[1].type", "qrMode", "issuers[0]" })
        {
            Assert.True(typeErrors.TryGetProperty(field, out _), field);
        }

        Assert.Equal(HttpStatusCode.BadRequest, badCitizen.StatusCode);
        Assert.Contains("29", (await ApiFactory.JsonAsync(badCitizen)).GetProperty("errors").GetProperty("idNumber")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, shortPassword.StatusCode);
    }

    [Fact]
    public async Task Citizen_RegisteredAtCounter_ReadBySubject_NumberNotEchoed()
    {
        var admin = await BootstrapAdminAsync();

        using var created = await admin.PostAsJsonAsync("/api/v1/admin/citizens", new { idNumber = ApiFactory.HolderNumber, name = "张三", password = "counter password 1" });
        var body = await created.Content.ReadAsStringAsync();
        using var again = await admin.PostAsJsonAsync("/api/v1/admin/citizens", new { idNumber = ApiFactory.HolderNumber, name = "张三", password = "counter password 1" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.DoesNotContain(ApiFactory.HolderNumber, body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var read = await admin.GetAsync(created.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task RotateKeys_NewKidsSigned_OldCertificateStillVerifiesAgainstRetiredKey()
    {
        await _factory.SeedAsync();
        var admin = await BootstrapAdminAsync();
        var issuer = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue");
        var before = await ApiFactory.JsonAsync(await ApiFactory.PostJsonAsync(issuer, "/api/v1/certificates", ApiFactory.MarriageRequest()));

        using var rotated = await admin.PostAsync($"/api/v1/admin/departments/{ApiFactory.CivilAffairs}/keys/rotate", null);
        var after = await ApiFactory.JsonAsync(await ApiFactory.PostJsonAsync(issuer, "/api/v1/certificates", ApiFactory.MarriageRequest()));

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var keys = (await ApiFactory.JsonAsync(rotated)).EnumerateArray().ToList();
        Assert.Equal(4, keys.Count);
        Assert.Equal(2, keys.Count(k => k.GetProperty("retiredAt").ValueKind != System.Text.Json.JsonValueKind.Null));
        var kidsBefore = Kids(before);
        var kidsAfter = Kids(after);
        Assert.Empty(kidsBefore.Intersect(kidsAfter));
        Assert.All(kidsBefore, kid => Assert.Contains(keys, k => k.GetProperty("kid").GetString() == kid && k.GetProperty("retiredAt").ValueKind != System.Text.Json.JsonValueKind.Null));
    }

    [Fact]
    public async Task NonAdmin_403_OnAdministration()
    {
        var department = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");

        using var response = await department.PostAsJsonAsync("/api/v1/admin/departments", new { code = NewDepartment, name = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Batch_Over1000Items_400AndNothingStored()
    {
        await _factory.SeedAsync();
        var issuer = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue");
        var items = Enumerable.Range(0, 1001).Select(_ => ApiFactory.MarriageRequest()).ToArray();

        using var response = await issuer.PostAsJsonAsync("/api/v1/certificates/batch", new { items });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var store = (CertLibrary.CertStore.Stores.ICertificateStore)_factory.Services.GetService(typeof(CertLibrary.CertStore.Stores.ICertificateStore))!;
        Assert.Equal(0, await store.CountCertificatesAsync(default));
    }

    private static HashSet<string> Kids(System.Text.Json.JsonElement certificate) =>
        [.. certificate.GetProperty("signature").GetProperty("signatures").EnumerateArray()
            .Select(s => System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(s.GetProperty("protected").GetString())).RootElement.GetProperty("kid").GetString()!)];
}
