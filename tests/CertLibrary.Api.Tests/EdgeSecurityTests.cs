using System.Net;
using CertLibrary.Api.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace CertLibrary.Api.Tests;

/// <summary>Security headers, CORS for configured portal origins only, and the per-department lookup rate limit.</summary>
public sealed class EdgeSecurityTests : IAsyncLifetime
{
    private const string Portal = "https://portal.example.gov.cn";

    private readonly ApiFactory _factory = new()
    {
        Settings = new Dictionary<string, string>
        {
            ["CERTLIB_CORS_ORIGINS"] = Portal + ", http://localhost:3000/",
            ["CERTLIB_LOOKUP_PER_MINUTE"] = "3",
        },
    };

    public async Task InitializeAsync()
    {
        _ = _factory.Server;
        await _factory.SeedAsync();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/api/v1/log/tree-head")]
    [InlineData("/api/v1/certificates/unknown")]
    [InlineData("/verify")]
    [InlineData("/connect/authorize?client_id=x")]
    public async Task AnyAnswer_CarriesNosniffNoReferrerAndFrameDenial(string path)
    {
        using var response = await _factory.CreateClient().GetAsync(path);

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        if (response.Content.Headers.ContentType?.MediaType == "text/html")
        {
            Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HtmlPages_CarryFrameAncestorsNone()
    {
        var http = _factory.CreateClient();
        foreach (var path in new[] { "/verify", "/v/unknown-token", "/swagger/index.html" })
        {
            using var response = await http.GetAsync(path);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AuthenticatedApiAnswers_AreNoStore_PublicOnesMayBeCached()
    {
        var civil = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        using var issued = await ApiFactory.PostJsonAsync(civil, "/api/v1/certificates", ApiFactory.MarriageRequest());
        var id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString();
        using var read = await civil.GetAsync($"/api/v1/certificates/{id}");
        using var missing = await civil.GetAsync("/api/v1/certificates/1.2.156.3005.2.x");
        using var trustList = await _factory.CreateClient().GetAsync("/api/v1/trust-list");

        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        foreach (var response in new[] { issued, read, missing })
        {
            Assert.Contains("no-store", Header(response, "Cache-Control"), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("no-store", Header(trustList, "Cache-Control") ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_FromConfiguredPortal_Allowed_FromOtherOrigin_NoAllowOrigin()
    {
        var http = _factory.CreateClient();

        using var allowed = await http.SendAsync(Preflight(Portal));
        using var local = await http.SendAsync(Preflight("http://localhost:3000"));
        using var other = await http.SendAsync(Preflight("https://evil.example.com"));
        using var lookalike = await http.SendAsync(Preflight(Portal + ".evil.example.com"));

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal(Portal, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(allowed, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Contains("authorization", Header(allowed, "Access-Control-Allow-Headers")!.ToLowerInvariant(), StringComparison.Ordinal);
        Assert.Equal("http://localhost:3000", Header(local, "Access-Control-Allow-Origin"));
        Assert.Null(Header(other, "Access-Control-Allow-Origin"));
        Assert.Null(Header(lookalike, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task CrossOriginRequest_FromPortal_GetsAllowOrigin_EvenOnErrors()
    {
        var http = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/certificates/x");
        request.Headers.Add("Origin", Portal);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(Portal, Header(response, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Preflight_WithoutConfiguredOrigins_NoAllowOrigin()
    {
        using var plain = new ApiFactory();

        using var response = await plain.CreateClient().SendAsync(Preflight(Portal));

        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("portal.example.gov.cn")]
    [InlineData("https://portal.example.gov.cn/app")]
    [InlineData("https://portal.example.gov.cn?x=1")]
    [InlineData("ftp://portal.example.gov.cn")]
    [InlineData("https://*.example.gov.cn")]
    [InlineData("https://user@portal.example.gov.cn")]
    public void Settings_BadCorsOrigin_RejectedAtStartUp(string origin)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CERTLIB_MASTER_KEY"] = Convert.ToBase64String(new byte[32]),
            ["CERTLIB_CORS_ORIGINS"] = "https://ok.example.gov.cn," + origin,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => CertLibrarySettings.Load(configuration));

        Assert.Contains("CERTLIB_CORS_ORIGINS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_OverDepartmentLimit_429ProblemWithRetryAfter_OtherDepartmentUnaffected()
    {
        var civil = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.use");
        var civilSecondClient = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.use");
        var housing = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.use");
        var body = new { idNumber = ApiFactory.HolderNumber, purpose = "限流测试" };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await ApiFactory.PostJsonAsync(civil, "/api/v1/holders/lookup", body);
            statuses.Add(ok.StatusCode);
        }

        using var limited = await ApiFactory.PostJsonAsync(civilSecondClient, "/api/v1/holders/lookup", body);
        using var otherDepartment = await ApiFactory.PostJsonAsync(housing, "/api/v1/holders/lookup", body);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        var problem = await ApiFactory.JsonAsync(limited);
        Assert.Equal("urn:certlib:problem:rate-limited", problem.GetProperty("type").GetString());
        Assert.True(int.Parse(limited.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.Equal(HttpStatusCode.OK, otherDepartment.StatusCode);
        Assert.Equal(4, AccessLogRows()); // the refused lookup read nothing and is not in the holder's log
    }

    private long AccessLogRows()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_factory.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM access_log";
        return (long)command.ExecuteScalar()!;
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/holders/lookup");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
