using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace CertLibrary.Api.Tests;

/// <summary>GET /metrics (Prometheus text format) after real traffic: request durations, cache, signing time, log size.</summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new();

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

    [Fact]
    public async Task Metrics_AfterIssuesReadsAndLookups_ReportRequestsCacheSigningAndLogSize()
    {
        var civil = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        string? id = null;
        for (var i = 0; i < 3; i++)
        {
            using var issued = await ApiFactory.PostJsonAsync(civil, "/api/v1/certificates", ApiFactory.MarriageRequest());
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
            id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString();
        }

        for (var i = 0; i < 4; i++)
        {
            using var read = await civil.GetAsync($"/api/v1/certificates/{id}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using var tree = await civil.GetAsync("/api/v1/log/tree-head");
        var treeSize = (await ApiFactory.JsonAsync(tree)).GetProperty("treeSize").GetInt64();

        // The SDK collects on scrape; the first scrape after traffic sees it.
        var text = await ScrapeAsync();

        Assert.Matches(@"http_server_request_duration_seconds_count\{[^}]*http_request_method=""POST""[^}]*http_route=""/api/v1/certificates/""[^}]*\} [1-9]", text);
        Assert.Matches(@"http_server_request_duration_seconds_bucket\{[^}]*http_route=""/api/v1/certificates/\{id\}""", text);
        Assert.True(Value(text, "certlib_signing_duration_seconds_count") >= 3, "three issues were signed");
        Assert.True(Value(text, "certlib_signing_duration_seconds_sum") > 0);
        Assert.Equal(treeSize, (long)Value(text, "certlib_log_size"));
        Assert.Matches(@"certlib_cache_lookups_total\{[^}]*outcome=""hit-l1""[^}]*\} [1-9]", text);
        var ratio = Value(text, "certlib_cache_hit_ratio");
        Assert.InRange(ratio, 0.01, 1.0);
        Assert.DoesNotContain(ApiFactory.HolderNumber, text, StringComparison.Ordinal);
        Assert.DoesNotContain(id!, text, StringComparison.Ordinal); // routes, never raw paths
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await _factory.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private static double Value(string text, string name)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(name) + @"(\{[^}]*\})? (?<value>\S+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} missing from /metrics:\n{text[..Math.Min(text.Length, 4000)]}");
        return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
    }
}
