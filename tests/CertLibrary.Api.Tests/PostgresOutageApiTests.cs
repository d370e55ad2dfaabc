using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CertLibrary.Testing;
using Npgsql;

namespace CertLibrary.Api.Tests;

/// <summary>
/// PostgreSQL stopped and started again under load, under one API host that is never restarted: while it is down
/// every read, lookup and issue answers 503 Problem Details quickly, readiness fails, and afterwards the host
/// recovers by itself with nothing lost and nothing half-written.
/// </summary>
public sealed class PostgresOutageApiTests
{
    private const string Unavailable = "urn:certlib:problem:unavailable";
    private static readonly TimeSpan OutageAnswerBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PostgresDown_ReadsLookupsIssuesAnswer503Quickly_RecoverAlone_NothingLostOrHalfWritten()
    {
        using var postgres = new PostgresServer();
        using var api = new ApiFactory
        {
            Settings = new Dictionary<string, string>
            {
                ["CERTLIB_STORE"] = "postgresql",
                ["CERTLIB_POSTGRES"] = postgres.ConnectionString,
                ["CERTLIB_LOOKUP_PER_MINUTE"] = "1000000",
            },
            MasterKey = TestEnvironment.NewMasterKey(),
        };
        _ = api.Server;
        await api.SeedAsync();
        var civil = await api.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        var anonymous = api.CreateClient();
        var issued = new ConcurrentDictionary<string, string>(); // id → status seen at issue
        for (var i = 0; i < 5; i++)
        {
            using var response = await ApiFactory.PostJsonAsync(civil, "/api/v1/certificates", ApiFactory.MarriageRequest());
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            issued[(await ApiFactory.JsonAsync(response)).GetProperty("id").GetString()!] = "valid";
        }

        var before = issued.Keys.ToArray();
        var clock = Stopwatch.StartNew();
        var answers = new ConcurrentBag<Answer>();
        var failedIssues = new ConcurrentBag<(string Key, string Body)>();
        using var stop = new CancellationTokenSource();

        async Task WorkerAsync(int worker)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var kind = (worker + n) % 3;
                var started = clock.Elapsed;
                HttpRequestMessage request;
                string? key = null, body = null;
                switch (kind)
                {
                    case 0:
                        request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{before[n % before.Length]}");
                        break;
                    case 1:
                        request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/holders/lookup")
                        {
                            Content = JsonContent.Create(new { idNumber = ApiFactory.HolderNumber, purpose = "故障演练" }),
                        };
                        break;
                    default:
                        key = Guid.NewGuid().ToString("N");
                        body = JsonSerializer.Serialize(ApiFactory.MarriageRequest());
                        request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/certificates")
                        {
                            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
                        };
                        request.Headers.Add("Idempotency-Key", key);
                        break;
                }

                using (request)
                {
                    using var bound = new CancellationTokenSource(HangBound);
                    int status;
                    string? type = null, retryAfter = null, id = null;
                    try
                    {
                        using var response = await civil.SendAsync(request, bound.Token);
                        status = (int)response.StatusCode;
                        var text = await response.Content.ReadAsStringAsync(bound.Token);
                        retryAfter = response.Headers.RetryAfter?.ToString();
                        if (status >= 400 && response.Content.Headers.ContentType?.MediaType == "application/problem+json")
                        {
                            type = JsonDocument.Parse(text).RootElement.GetProperty("type").GetString();
                        }
                        else if (status == 201)
                        {
                            id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();
                            issued[id!] = "valid";
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        status = -1; // no answer within the hang bound
                    }

                    answers.Add(new Answer(kind, started, clock.Elapsed, status, type, retryAfter));
                    if (kind == 2 && status != 201)
                    {
                        failedIssues.Add((key!, body!));
                    }
                }

                await Task.Delay(10);
            }
        }

        var workers = Enumerable.Range(0, 3).Select(w => Task.Run(() => WorkerAsync(w))).ToArray();
        await Task.Delay(1500);
        postgres.Stop();
        var downFrom = clock.Elapsed;
        await Task.Delay(3000);
        using (var ready = await anonymous.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("unavailable", (await ApiFactory.JsonAsync(ready)).GetProperty("checks").GetProperty("database").GetString());
        }

        var downUntil = clock.Elapsed;
        postgres.Start();
        var upFrom = clock.Elapsed;

        // Recovery without restarting the host: every kind of request succeeds again.
        var recovered = TimeSpan.Zero;
        while (clock.Elapsed - upFrom < TimeSpan.FromSeconds(30))
        {
            var since = answers.Where(a => a.Started > upFrom).ToList();
            if (Enumerable.Range(0, 3).All(k => since.Any(a => a.Kind == k && a.Status is 200 or 201)))
            {
                recovered = clock.Elapsed - upFrom;
                break;
            }

            await Task.Delay(100);
        }

        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var all = answers.ToList();
        var summary = $"{all.Count} requests; outage {downUntil - downFrom:g}; recovered {recovered.TotalSeconds:F1} s after start; statuses "
            + string.Join(", ", all.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
        Console.WriteLine("PostgresOutageApiTests: " + summary);
        Assert.DoesNotContain(all, a => a.Status == -1);
        Assert.DoesNotContain(all, a => a.Status >= 500 && a.Status != 503);
        Assert.All(all.Where(a => a.Status == 503), a =>
        {
            Assert.Equal(Unavailable, a.ProblemType);
            Assert.NotNull(a.RetryAfter);
        });
        var duringOutage = all.Where(a => a.Started >= downFrom && a.Ended <= downUntil).ToList();
        for (var kind = 0; kind < 3; kind++)
        {
            var ofKind = duringOutage.Where(a => a.Kind == kind).ToList();
            Assert.True(ofKind.Count >= 5, $"kind {kind}: only {ofKind.Count} requests during the outage; {summary}");
            Assert.All(ofKind, a => Assert.Equal(503, a.Status));
            Assert.All(ofKind, a => Assert.True(a.Ended - a.Started <= OutageAnswerBound, $"kind {kind} took {a.Ended - a.Started:g} during the outage"));
        }

        Assert.True(recovered > TimeSpan.Zero, "the API did not recover within 30 s of PostgreSQL's restart; " + summary);
        using (var ready = await anonymous.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // An issue answered 503 wrote nothing half-way: its retry with the same key creates exactly one certificate,
        // and a second retry replays it.
        foreach (var (key, body) in failedIssues.Take(10))
        {
            var first = await RetryIssueAsync(civil, key, body);
            var second = await RetryIssueAsync(civil, key, body);
            Assert.Equal(first, second);
            issued[first] = "valid";
        }

        // Nothing issued before or during the outage is lost, and the database holds exactly the certificates answered.
        foreach (var id in issued.Keys)
        {
            using var read = await civil.GetAsync($"/api/v1/certificates/{id}");
            Assert.True(read.StatusCode == HttpStatusCode.OK, $"{id} lost: {read.StatusCode}");
        }

        var retried = failedIssues.Take(10).Select(f => f.Key).ToHashSet();
        var unretried = failedIssues.Where(f => !retried.Contains(f.Key)).ToList();
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM certificates", connection);
        var stored = (long)(await count.ExecuteScalarAsync())!;

        // A 503 whose transaction committed just before the connection dropped is legitimate; its key then replays it.
        var committedUnanswered = 0;
        foreach (var (key, body) in unretried)
        {
            await using var lookup = new NpgsqlCommand("SELECT COUNT(*) FROM idempotency_keys WHERE key = @key", connection);
            lookup.Parameters.AddWithValue("key", key);
            committedUnanswered += (int)(long)(await lookup.ExecuteScalarAsync())!;
        }

        Assert.Equal(issued.Count + committedUnanswered, stored);
    }

    private static async Task<string> RetryIssueAsync(HttpClient http, string key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/certificates") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"retry of {key}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private sealed record Answer(int Kind, TimeSpan Started, TimeSpan Ended, int Status, string? ProblemType, string? RetryAfter);
}
