using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Data;
using CertLibrary.Identity;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CertLibrary.Api.Tests;

/// <summary>Runs only with <c>CERTLIB_BENCH=1</c>; reported as skipped otherwise.</summary>
public sealed class BenchFactAttribute : FactAttribute
{
    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CERTLIB_BENCH") is not "1")
        {
            Skip = "Benchmark: set CERTLIB_BENCH=1 to run.";
        }
    }
}

/// <summary>
/// Lookups/s for a holder with 20 certificates (cached reads, access-log write included) over real Kestrel and real
/// tokens, against plain Kestrel returning a constant JSON in the same run, same client, same concurrency.
/// </summary>
public sealed class LookupBench(ITestOutputHelper output)
{
    private const int Concurrency = 16;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(5);

    [BenchFact]
    public async Task Bench_Lookup20Certificates_VersusConstantJson()
    {
        // Measures the lookup, not the limiter; Warning level, so that writing logs does not dominate the figure.
        using var factory = new KestrelApi(new Dictionary<string, string> { ["CERTLIB_LOOKUP_PER_MINUTE"] = "100000000", ["Logging:LogLevel:Default"] = "Warning" });
        factory.StartServer();
        var port = factory.Port;
        await DemoSeeder.SeedAsync(factory.Services, TextWriter.Null, default);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var credentials = await factory.Services.GetRequiredService<ClientManager>().CreateAsync(DemoSeeder.CivilAffairs, "bench", ["certlib.issue", "certlib.use"]);
        http.DefaultRequestHeaders.Authorization = new("Bearer", await ApiFactory.TokenAsync(http, credentials));
        for (var i = 0; i < 20; i++)
        {
            using var issued = await http.PostAsJsonAsync("/api/v1/certificates", ApiFactory.MarriageRequest());
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        }

        var body = new { idNumber = ApiFactory.HolderNumber, purpose = "性能测试" };
        var lookup = await MeasureAsync(async () =>
        {
            using var response = await http.PostAsJsonAsync("/api/v1/holders/lookup", body);
            return response.StatusCode == HttpStatusCode.OK && (await ApiFactory.JsonAsync(response)).GetProperty("certificates").GetArrayLength() == 20;
        });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var plain = builder.Build();
        plain.MapGet("/", () => Results.Text("""{"status":"ok","certificates":[]}""", "application/json"));
        await plain.StartAsync();
        using var plainHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = new Uri(plain.Urls.First()) };
        var constant = await MeasureAsync(async () =>
        {
            using var response = await plainHttp.GetAsync("/");
            return response.StatusCode == HttpStatusCode.OK;
        });

        await using var connection = await factory.Services.GetRequiredService<ICertLibraryDatabase>().OpenConnectionAsync(default);
        var logged = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM access_log");
        output.WriteLine($"| endpoint | requests | requests/s | p50 ms | p99 ms |");
        output.WriteLine($"|---|---|---|---|---|");
        output.WriteLine(lookup.Row("POST /api/v1/holders/lookup (20 certificates, SQLite, access-log write)"));
        output.WriteLine(constant.Row("plain Kestrel, constant JSON"));
        output.WriteLine($"concurrency {Concurrency}, {Duration.TotalSeconds:0} s each, {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Assert.Equal(0, lookup.Failures);
        Assert.Equal(lookup.Requests, logged);
    }

    private static async Task<Result> MeasureAsync(Func<Task<bool>> call)
    {
        for (var i = 0; i < 200; i++)
        {
            await call();
        }

        var latencies = new List<double>[Concurrency];
        var failures = 0;
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = [];
            while (stop.Elapsed < Duration)
            {
                var start = Stopwatch.GetTimestamp();
                if (!await call())
                {
                    Interlocked.Increment(ref failures);
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        var all = latencies.SelectMany(l => l).Order().ToList();
        return new Result(all.Count + 200, all.Count / stop.Elapsed.TotalSeconds, all[all.Count / 2], all[(int)(all.Count * 0.99)], failures);
    }

    private sealed record Result(long Requests, double PerSecond, double P50, double P99, int Failures)
    {
        public string Row(string name) => $"| {name} | {Requests - 200} | {PerSecond:0} | {P50:0.00} | {P99:0.00} |";
    }
}
