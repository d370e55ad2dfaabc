using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using CertLibrary.Testing;

namespace CertLibrary.Api.Tests;

/// <summary>
/// Redis stopped and restarted while both API nodes serve a steady stream of reads: no read fails, and no read that
/// starts after a status change has returned reports the old status, on either node, before, during or after.
/// </summary>
public sealed class RedisOutageUnderLoadApiTests
{
    [Fact]
    public async Task RedisDownAndBack_UnderConcurrentReads_NoErrors_NeverStale()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        var id = (await ApiFactory.JsonAsync(await ApiFactory.PostJsonAsync(nodes.OnA, "/api/v1/certificates", ApiFactory.MarriageRequest()))).GetProperty("id").GetString()!;
        var clock = Stopwatch.StartNew();
        var reads = new ConcurrentBag<(TimeSpan Started, TimeSpan Finished, int Status, string? CertificateStatus)>();
        using var stop = new CancellationTokenSource();

        async Task ReaderAsync(HttpClient http)
        {
            while (!stop.IsCancellationRequested)
            {
                var started = clock.Elapsed;
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    using var response = await http.GetAsync($"/api/v1/certificates/{id}", bound.Token);
                    var status = response.StatusCode == HttpStatusCode.OK
                        ? (await ApiFactory.JsonAsync(response)).GetProperty("status").GetString()
                        : null;
                    reads.Add((started, clock.Elapsed, (int)response.StatusCode, status));
                }
                catch (OperationCanceledException)
                {
                    reads.Add((started, clock.Elapsed, -1, null));
                }

                await Task.Delay(5);
            }
        }

        var readers = new[] { nodes.OnA, nodes.OnB, nodes.OnB }.Select(h => Task.Run(() => ReaderAsync(h))).ToArray();
        await Task.Delay(1000);
        redis.Stop();
        await WaitForReadinessAsync(nodes.B, HttpStatusCode.ServiceUnavailable);
        using (var suspended = await ApiFactory.PostJsonAsync(nodes.OnA, $"/api/v1/certificates/{id}/suspend", new { reason = "核查中" }))
        {
            Assert.Equal(HttpStatusCode.OK, suspended.StatusCode);
        }

        var suspendedAt = clock.Elapsed;
        await Task.Delay(1000);
        redis.Start();
        await WaitForReadinessAsync(nodes.B, HttpStatusCode.OK);
        await Task.Delay(1000);
        var revokeFrom = clock.Elapsed;
        using (var revoked = await ApiFactory.PostJsonAsync(nodes.OnA, $"/api/v1/certificates/{id}/revoke", new { reason = "吊销" }))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        var revokedAt = clock.Elapsed;
        await Task.Delay(1000);
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        var all = reads.ToList();
        var summary = $"{all.Count} reads; " + string.Join(", ", all.GroupBy(r => r.CertificateStatus ?? r.Status.ToString(CultureInfo)).Select(g => $"{g.Key}×{g.Count()}"));
        Console.WriteLine("RedisOutageUnderLoadApiTests: " + summary);
        Assert.True(all.Count > 100, summary);
        Assert.All(all, r => Assert.Equal(200, r.Status));
        // A read answered before the revoke was sent must see the suspension; one still in flight when it was sent may see either.
        Assert.All(all.Where(r => r.Started > suspendedAt && r.Finished < revokeFrom), r => Assert.Equal("suspended", r.CertificateStatus));
        Assert.All(all.Where(r => r.Started > suspendedAt), r => Assert.Contains(r.CertificateStatus, new[] { "suspended", "revoked" }));
        Assert.All(all.Where(r => r.Started > revokedAt), r => Assert.Equal("revoked", r.CertificateStatus));
        Assert.Contains(all, r => r.Started > revokedAt);
    }

    private static System.Globalization.CultureInfo CultureInfo => System.Globalization.CultureInfo.InvariantCulture;

    private static async Task WaitForReadinessAsync(ApiFactory node, HttpStatusCode expected)
    {
        var http = node.CreateClient();
        for (var i = 0; i < 100; i++)
        {
            using var response = await http.GetAsync("/health/ready");
            if (response.StatusCode == expected)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"/health/ready never answered {expected}.");
    }
}
