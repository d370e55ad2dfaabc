using System.Net;
using System.Net.Http.Json;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Identity.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The request lines: route templates only (never the raw path with its online-QR token), successful answers at Debug,
/// refused ones at Information, server errors at Error, slow answers at Warning.
/// </summary>
public sealed class RequestLoggingTests : IDisposable
{
    private readonly LogCapture _logs = new();
    private readonly ApiFactory _factory = new();

    public void Dispose()
    {
        _factory.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task RequestLines_CarryRouteTemplate_AtLevelByOutcome()
    {
        using var app = _factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(_logs)));
        using var http = app.CreateClient();
        var token = "rq" + Guid.NewGuid().ToString("N");

        // The host's first answer may take over a second on a busy machine (JIT) and is then rightly a Warning.
        using (await http.GetAsync("/health/live"))
        {
        }

        using (var live = await http.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (await http.GetAsync("/v/" + token))
        {
        }

        using (var refused = await http.GetAsync("/api/v1/me/certificates"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var lines = _logs.Messages.Where(m => m.Contains(" " + RequestLogging.Category + ":", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.StartsWith("Debug ", StringComparison.Ordinal) && l.Contains("HTTP GET /health/live answered 200", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("HTTP GET /v/{token} answered", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Information ", StringComparison.Ordinal) && l.Contains("HTTP GET /api/v1/me/certificates answered 401", StringComparison.Ordinal));
        Assert.DoesNotContain(token, _logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimitedRequests_LogRouteTemplate_NeverTheToken()
    {
        // Every category at Debug, as an operator chasing a problem would switch on: no line may carry the token either.
        using var limited = new ApiFactory { Settings = new Dictionary<string, string> { ["CERTLIB_VERIFY_PER_MINUTE"] = "2" } };
        using var app = limited.WithWebHostBuilder(b => b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(_logs)));
        using var http = app.CreateClient();
        var token = "rl" + Guid.NewGuid().ToString("N");
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 3; i++)
        {
            using var page = await http.GetAsync("/v/" + token);
            statuses.Add(page.StatusCode);
        }

        using (var verify = await http.PostAsJsonAsync("/api/v1/verify", new { qr = "http://localhost/v/" + token }))
        {
            statuses.Add(verify.StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^2]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Contains(_logs.Messages, l => l.Contains("Rate limit reached on /v/{token}; answered 429", StringComparison.Ordinal));
        Assert.Contains(_logs.Messages, l => l.Contains("Rate limit reached on /api/v1/verify; answered 429", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Messages, l => l.Contains(token, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(200, 5, LogLevel.Debug)]
    [InlineData(302, 5, LogLevel.Debug)]
    [InlineData(404, 5, LogLevel.Information)]
    [InlineData(429, 5, LogLevel.Information)]
    [InlineData(200, 1500, LogLevel.Warning)]
    [InlineData(400, 1500, LogLevel.Warning)]
    [InlineData(503, 5, LogLevel.Error)]
    [InlineData(500, 2000, LogLevel.Error)]
    public void LevelOf_StatusAndDuration_GivesLevel(int status, int milliseconds, LogLevel expected) =>
        Assert.Equal(expected, RequestLogging.LevelOf(status, TimeSpan.FromMilliseconds(milliseconds)));
}
