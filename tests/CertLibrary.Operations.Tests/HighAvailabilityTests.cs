using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CertLibrary.Testing;
using CertLibrary.TransparencyLog;
using Xunit.Abstractions;

namespace CertLibrary.Operations.Tests;

/// <summary>
/// SPEC §10 on real engines (scripts/ha.sh): two API nodes on pg_auto_failover's primary + synchronous standby,
/// issuance load from both, <c>kill -9</c> of the primary mid-load, then of the promoted one once the old primary has
/// rejoined. Every 201 a client saw survives, nothing is created twice (retries reuse their Idempotency-Key), no
/// request gets anything but 201 or 503 with Retry-After, and the transparency log stays one consistent tree.
/// </summary>
[Collection(ApiProcessCollection.Name)]
public sealed class HighAvailabilityTests(ITestOutputHelper output)
{
    private const int Clients = 2;
    private const int IssuesPerClient = 150;

    [HaFact]
    public async Task PrimaryKilledUnderIssuanceLoad_StandbyPromoted_NoAcknowledgedWriteLostNoDuplicateLogConsistent()
    {
        // fsync=off as on the single server of scripts/test.sh, so that the throughput comparison measures the
        // synchronous standby only (a kill -9 of processes loses nothing the kernel already has either way).
        await using var ha = await HaTopology.UpAsync("max_connections=300 fsync=off");
        output.WriteLine($"ha.sh up: {ha.UpTime.TotalSeconds:F1} s");
        var settings = ApiProcess.Settings.Postgres(ha.Postgres);
        await HaTopology.WithTwoNodesAsync(settings, output, (first, second) => IssueThroughFailoversAsync(ha, settings, first, second));
    }

    private async Task IssueThroughFailoversAsync(HaTopology ha, ApiProcess.Settings settings, ApiProcess first, ApiProcess second)
    {
        var client = await Deployment.SetUpAsync(first, settings);
        using var one = await IssuerAsync(first, client);
        using var two = await IssuerAsync(second, client);
        HttpClient[] nodes = [one, two];
        var load = new IssuanceLoad();

        // Throughput with the synchronous standby, then the same load on the single server of scripts/test.sh.
        var withStandby = await MeasureAsync(load, nodes, "sync", 0);
        var single = await SingleServerThroughputAsync();
        output.WriteLine($"issuance, {Clients} clients x {IssuesPerClient}: {withStandby:F1}/s with the synchronous standby, {single:F1}/s on one server");

        // Failover 1: kill -9 of the primary once a third of the load is through.
        var before = await TransparencyLogCheck.TreeHeadAsync(one);
        var failover = await FailoverUnderLoadAsync(ha, load, nodes, "f1", IssuesPerClient, 1000);
        output.WriteLine($"failover 1: new primary writable {failover.Script.TotalSeconds:F1} s after the kill; first API write {failover.FirstWrite.TotalSeconds:F1} s after it");
        await AssertNothingLostAsync(one, settings, load, before);

        // The killed node rejoins as standby (pg_autoctl rewinds it); then failover 2, back to it.
        var state = await ha.WaitSettledAsync();
        output.WriteLine(state);
        Assert.Contains("secondary", state, StringComparison.Ordinal);
        var middle = await TransparencyLogCheck.TreeHeadAsync(two);
        var back = await FailoverUnderLoadAsync(ha, load, nodes, "f2", IssuesPerClient / 3, 2000);
        output.WriteLine($"failover 2: new primary writable {back.Script.TotalSeconds:F1} s after the kill; first API write {back.FirstWrite.TotalSeconds:F1} s after it");
        await AssertNothingLostAsync(two, settings, load, middle);

        output.WriteLine($"requests: {load.Created.Count} created, 0 lost, 0 duplicates; {load.Unavailable} answers 503 with Retry-After, {load.ConnectionErrors} connection errors, all retried with their Idempotency-Key");
    }

    /// <summary>Runs the bounded load against <paramref name="nodes"/> and kills the primary once a third of it is through.</summary>
    private static async Task<(TimeSpan Script, TimeSpan FirstWrite)> FailoverUnderLoadAsync(
        HaTopology ha, IssuanceLoad load, HttpClient[] nodes, string prefix, int perClient, int holderBase)
    {
        var created = load.Created.Count;
        var running = RunAsync(load, nodes, prefix, perClient, holderBase);
        while (load.Created.Count < created + nodes.Length * perClient / 3 && !running.IsCompleted)
        {
            await Task.Delay(20);
        }

        Assert.False(running.IsCompleted, "the load ended before the failover started");
        var (killedAt, untilWritable, _) = await ha.FailoverAsync("postgres");
        await running;
        Assert.True(load.WrongAnswers.IsEmpty, "answers other than 201 or 503 with Retry-After:\n" + string.Join('\n', load.WrongAnswers.Take(3)));
        var firstWrite = load.Created.Values.Where(c => c.SentAt > killedAt).Min(c => c.AnsweredAt) - killedAt;
        return (untilWritable, firstWrite);
    }

    /// <summary>Every 201 seen is stored, once, at its log index; every request created exactly one certificate; the log extends <paramref name="before"/>.</summary>
    private static async Task AssertNothingLostAsync(HttpClient http, ApiProcess.Settings settings, IssuanceLoad load, (long Size, byte[] Root) before)
    {
        Assert.True(load.WrongAnswers.IsEmpty, "answers other than 201 or 503 with Retry-After:\n" + string.Join('\n', load.WrongAnswers.Take(5)));
        Npgsql.NpgsqlConnection.ClearAllPools(); // the test's own pooled connections to the killed primary
        var stored = await Stores.CertificatesAsync(settings);
        foreach (var (number, seen) in load.Created)
        {
            Assert.True(stored.TryGetValue(seen.Id, out var index), $"acknowledged certificate {number} lost");
            Assert.Equal(seen.LogIndex, index);
        }

        Assert.Equal(load.Created.Count, stored.Count);
        var numbers = new List<string>(stored.Count);
        foreach (var id in stored.Keys)
        {
            numbers.Add((await ApiProcess.JsonAsync(await http.GetAsync($"api/v1/certificates/{id}"))).GetProperty("number").GetString()!);
        }

        Assert.Equal(numbers.Count, numbers.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(load.Created.Keys.Order(StringComparer.Ordinal), numbers.Order(StringComparer.Ordinal));

        var after = await TransparencyLogCheck.TreeHeadAsync(http);
        var proof = await ApiProcess.JsonAsync(await http.GetAsync($"api/v1/log/proof/consistency?first={before.Size}&second={after.Size}"));
        Assert.True(MerkleVerifier.VerifyConsistency(before.Size, after.Size, before.Root, after.Root,
            [.. proof.GetProperty("consistency").EnumerateArray().Select(p => Convert.FromBase64String(p.GetString()!))]), "log forked across the failover");
        await TransparencyLogCheck.AssertMatchesAsync(http, stored);
    }

    private async Task<double> SingleServerThroughputAsync()
    {
        var settings = ApiProcess.Settings.Postgres(await TestEnvironment.CreatePostgresDatabaseAsync());
        await using var first = await ApiProcess.StartAsync(settings);
        await using var second = await ApiProcess.StartAsync(settings with { Port = ApiProcess.FreePort() });
        var client = await Deployment.SetUpAsync(first, settings);
        using var one = await IssuerAsync(first, client);
        using var two = await IssuerAsync(second, client);
        var load = new IssuanceLoad();
        var rate = await MeasureAsync(load, [one, two], "single", 0);
        Assert.Empty(load.WrongAnswers);
        output.WriteLine($"single server: {load.Created.Count} issued");
        return rate;
    }

    private static async Task<double> MeasureAsync(IssuanceLoad load, HttpClient[] nodes, string prefix, int holderBase)
    {
        var clock = Stopwatch.StartNew();
        await RunAsync(load, nodes, prefix, IssuesPerClient, holderBase);
        Assert.Equal(0, load.Unavailable + load.ConnectionErrors);
        return nodes.Length * IssuesPerClient / clock.Elapsed.TotalSeconds;
    }

    private static Task RunAsync(IssuanceLoad load, HttpClient[] nodes, string prefix, int perClient, int holderBase) =>
        Task.WhenAll(nodes.Select((http, n) => Task.Run(async () =>
        {
            for (var i = 0; i < perClient; i++)
            {
                var k = holderBase + (n * 10_000) + i;
                await load.IssueAsync(http, $"J-HA-{prefix}-{n}-{i:D4}", Deployment.Holder(k));
            }
        })));

    internal static async Task<HttpClient> IssuerAsync(ApiProcess api, IssuingClient client)
    {
        var http = api.Client();
        http.Timeout = TimeSpan.FromSeconds(30);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await api.TokenAsync(client.ClientId, client.ClientSecret));
        return http;
    }

    /// <summary>A client that issues with an Idempotency-Key and retries with the same key on 503 or a lost connection.</summary>
    internal sealed class IssuanceLoad
    {
        public ConcurrentDictionary<string, Seen> Created { get; } = new(StringComparer.Ordinal);

        public ConcurrentBag<string> WrongAnswers { get; } = [];

        public int Unavailable => _unavailable;

        public int ConnectionErrors => _connectionErrors;

        private int _unavailable;
        private int _connectionErrors;

        public async Task IssueAsync(HttpClient http, string number, string holder)
        {
            var key = Guid.NewGuid().ToString("N");
            var body = new
            {
                typeCode = Deployment.MarriageType,
                holder = new { idNumber = holder, name = "张三" },
                number,
                fields = new { spouseName = "李四", registeredOn = "2001-05-20", registrationOffice = "北京市西城区民政局" },
            };
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                var sentAt = DateTimeOffset.UtcNow;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/certificates") { Content = JsonContent.Create(body) };
                    request.Headers.Add("Idempotency-Key", key);
                    using var response = await http.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        var certificate = JsonDocument.Parse(text).RootElement;
                        var seen = new Seen(certificate.GetProperty("id").GetString()!, certificate.GetProperty("logIndex").GetInt64(), sentAt, DateTimeOffset.UtcNow);
                        if (!Created.TryAdd(certificate.GetProperty("number").GetString()!, seen))
                        {
                            WrongAnswers.Add($"{number}: a second 201");
                        }

                        return;
                    }

                    if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Headers.RetryAfter is null)
                    {
                        WrongAnswers.Add($"{number}: {(int)response.StatusCode} {text}");
                        return;
                    }

                    Interlocked.Increment(ref _unavailable);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref _connectionErrors);
                }

                await Task.Delay(200); // Retry-After says 5 s; sooner here, to keep the test short
            }

            WrongAnswers.Add($"{number}: no 201 within 90 s");
        }
    }

    internal sealed record Seen(string Id, long LogIndex, DateTimeOffset SentAt, DateTimeOffset AnsweredAt);
}
