using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace CertLibrary.Operations.Tests;

/// <summary>
/// Issue 19 on real engines (scripts/ha.sh): two API nodes whose cache reaches Redis through the Sentinels by service
/// name, readers on both nodes and revokes on one, <c>kill -9</c> of the Redis master under that load. No read that
/// started after a revoke returned shows the certificate as valid, nothing answers 5xx but 503 with Retry-After, and
/// the nodes serve from the promoted master afterwards.
/// </summary>
[Collection(ApiProcessCollection.Name)]
public sealed class RedisFailoverTests(ITestOutputHelper output)
{
    private const int Certificates = 20;

    [HaFact]
    public async Task RedisMasterKilledUnderLookupAndRevokeLoad_SentinelPromotes_NoRevokedCertificateShownValid()
    {
        await using var ha = await HaTopology.UpAsync("max_connections=300 fsync=off");
        var settings = ApiProcess.Settings.Postgres(ha.Postgres) with { Redis = ha.Environment["CERTLIB_REDIS"] };
        await HaTopology.WithTwoNodesAsync(settings, output, (first, second) => ReadAndRevokeThroughFailoverAsync(ha, settings, first, second));
    }

    private async Task ReadAndRevokeThroughFailoverAsync(HaTopology ha, ApiProcess.Settings settings, ApiProcess first, ApiProcess second)
    {
        var client = await Deployment.SetUpAsync(first, settings);
        using var one = await HighAvailabilityTests.IssuerAsync(first, client);
        using var two = await HighAvailabilityTests.IssuerAsync(second, client);
        var load = new HighAvailabilityTests.IssuanceLoad();
        for (var i = 0; i < Certificates; i++)
        {
            await load.IssueAsync(one, $"J-RS-{i:D4}", Deployment.Holder(5000 + i));
        }

        Assert.Empty(load.WrongAnswers);
        var ids = load.Created.Values.Select(c => c.Id).ToArray();
        var sentinel = int.Parse(settings.Redis!.Split(',')[0].Split(':')[1], CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        var revokedAt = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
        var reads = new ConcurrentBag<Read>();
        using var stop = new CancellationTokenSource();
        var readers = new[] { one, one, two, two }.Select((http, n) => Task.Run(() => ReadAsync(http, ids, n, clock, reads, stop.Token))).ToArray();

        // Half the certificates revoked before the kill, the last one just before it; the rest during and after it.
        await Task.Delay(1000);
        for (var i = 0; i < Certificates / 2; i++)
        {
            await RevokeAsync(one, ids[i], clock, revokedAt);
            await Task.Delay(100);
        }

        var oldMaster = await MasterPortAsync(sentinel);
        var failover = ha.FailoverAsync("redis");
        for (var i = Certificates / 2; i < Certificates; i++)
        {
            await RevokeAsync(one, ids[i], clock, revokedAt);
            await Task.Delay(300);
        }

        var (_, untilWritable, _) = await failover;
        var newMaster = await MasterPortAsync(sentinel);
        Assert.NotEqual(oldMaster, newMaster);

        // Past the reconnect grace (5 s), the nodes serve from the promoted master: its cache hits grow.
        await Task.Delay(6000);
        // Polled for up to 20 s: a node learns the new master's run id only at its next reconnect or configuration event.
        var hitsBefore = await KeyspaceHitsAsync(newMaster);
        var hitsAfter = hitsBefore;
        for (var waited = Stopwatch.StartNew(); hitsAfter <= hitsBefore && waited.Elapsed < TimeSpan.FromSeconds(20);)
        {
            await Task.Delay(500);
            hitsAfter = await KeyspaceHitsAsync(newMaster);
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        var stale = reads.Where(r => r.Status == 200 && r.CertificateStatus == "valid" && revokedAt.TryGetValue(r.Id, out var at) && r.Started > at).ToList();
        var wrong = reads.Where(r => r.Status != 200 && !(r.Status == 503 && r.RetryAfter)).ToList();
        output.WriteLine($"redis failover: new master writable {untilWritable.TotalSeconds:F1} s after the kill; {reads.Count} reads " +
            $"({reads.Count(r => r.Status == 503)} x 503 with Retry-After), {revokedAt.Count} revokes, {stale.Count} stale, " +
            $"cache hits on the new master: {hitsAfter - hitsBefore}");
        Assert.True(stale.Count == 0, "reads that started after the revoke returned showed the certificate as valid:\n" + string.Join('\n', stale.Take(5)));
        Assert.True(wrong.Count == 0, "answers other than 200 or 503 with Retry-After:\n" + string.Join('\n', wrong.Take(5)));
        Assert.Equal(Certificates, revokedAt.Count);
        Assert.True(hitsAfter > hitsBefore, "the nodes do not read from the promoted Redis master");
    }

    private static async Task ReadAsync(HttpClient http, string[] ids, int reader, Stopwatch clock, ConcurrentBag<Read> reads, CancellationToken stop)
    {
        for (var i = reader; !stop.IsCancellationRequested; i++)
        {
            var id = ids[i % ids.Length];
            var started = clock.Elapsed;
            try
            {
                using var response = await http.GetAsync($"api/v1/certificates/{id}", CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                var status = response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(body).RootElement.GetProperty("status").GetString() : null;
                reads.Add(new Read(id, started, (int)response.StatusCode, response.Headers.RetryAfter is not null, status));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                reads.Add(new Read(id, started, -1, false, e.Message));
            }
        }
    }

    /// <summary>Revokes, retrying on 503 with Retry-After, and records when the 200 came back.</summary>
    private static async Task RevokeAsync(HttpClient http, string id, Stopwatch clock, ConcurrentDictionary<string, TimeSpan> revokedAt)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var response = await http.PostAsJsonAsync($"api/v1/certificates/{id}/revoke", new { reason = "证件遗失" });
            if (response.StatusCode == HttpStatusCode.OK)
            {
                revokedAt[id] = clock.Elapsed;
                return;
            }

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null,
                $"revoke: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(200);
        }

        Assert.Fail("revoke: no 200 within 100 attempts");
    }

    private static async Task<int> MasterPortAsync(int sentinel) =>
        int.Parse((await RedisCliAsync(sentinel, "SENTINEL", "get-master-addr-by-name", "mymaster")).Split('\n')[1].Trim(), CultureInfo.InvariantCulture);

    private static async Task<long> KeyspaceHitsAsync(int port)
    {
        var line = (await RedisCliAsync(port, "INFO", "stats")).Split('\n').Single(l => l.StartsWith("keyspace_hits:", StringComparison.Ordinal));
        return long.Parse(line["keyspace_hits:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task<string> RedisCliAsync(int port, params string[] args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"redis-cli {string.Join(' ', args)} exited {process.ExitCode}");
        return text;
    }

    private sealed record Read(string Id, TimeSpan Started, int Status, bool RetryAfter, string? CertificateStatus);
}
