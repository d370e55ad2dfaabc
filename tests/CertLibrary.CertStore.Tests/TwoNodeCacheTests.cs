using CertLibrary.CertStore.Caching;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.Identifiers;
using CertLibrary.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CertLibrary.CertStore.Tests;

/// <summary>Two nodes on one PostgreSQL and one Redis: a change on one node is seen on the other at once.</summary>
public sealed class TwoNodeCacheTests
{
    private static Caller IssuerCaller => new("client-a", TestData.IssuerA, false);

    private static string HolderNumber => TestData.HolderNumber;

    private static IssueCommand Request() => TestData.Request();

    private static async Task<(StoreNode A, StoreNode B)> StartNodesAsync(string redis, TimeSpan? generationLease = null)
    {
        var database = await TestEnvironment.CreatePostgresDatabaseAsync();
        var key = TestEnvironment.NewMasterKey();
        var a = await StoreNode.StartAsync("postgresql", database, key, redis, generationLease);
        await TestData.SeedAsync(a);
        var b = await StoreNode.StartAsync("postgresql", database, key, redis, generationLease);
        return (a, b);
    }

    [Fact]
    public async Task Revoke_OnNodeA_IsSeenOnNodeB_Immediately_EvenAfterBCachedIt()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var id = (await a.Manager.IssueAsync(IssuerCaller, Request(), null, default)).Value!.Payload.Id;
        var holder = CitizenId.Parse(HolderNumber);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(CertificateStatus.Valid, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);
            Assert.Equal(CertificateStatus.Valid, (await b.Manager.ListByHolderAsync(holder, reader: null, default)).Single().Status);
        }

        var hitsBefore = Metrics(b).Hits;
        Assert.True(hitsBefore >= 2, $"B should serve repeated reads from cache (hits {hitsBefore}).");

        await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, null, "证件遗失", default);

        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);
        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.ListByHolderAsync(holder, reader: null, default)).Single().Status);
    }

    [Fact]
    public async Task GetGenerations_KeyListAndCertificate_MatchSingleReads_SeeRevokeOnOtherNode_NullWhenRedisDown()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var id = (await a.Manager.IssueAsync(IssuerCaller, Request(), null, default)).Value!.Payload.Id;
        var onB = b.Services.GetRequiredService<ICacheCoordinator>();
        string[] keys = [CachingSigningKeyStore.Key, CachingCertificateStore.IdKey(id), "never-read-before"];

        var before = await onB.GetGenerationsAsync(keys, default);
        Assert.All(before, Assert.NotNull);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(await onB.GetGenerationAsync(keys[i], default), before[i]);
        }

        await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, null, "证件遗失", default);
        var after = await onB.GetGenerationsAsync(keys, default);
        Assert.Equal(before[0], after[0]);
        Assert.NotEqual(before[1], after[1]);
        Assert.Equal(before[2], after[2]);

        // Unknown (so every read goes to the database) once B has noticed, at the latest when its generation lease lapses.
        redis.Stop();
        IReadOnlyList<string?> down = [];
        await WaitUntilAsync(() => down.All(g => g is null), async () => down = await onB.GetGenerationsAsync(keys, default), TimeSpan.FromSeconds(2));
        Assert.All(down, Assert.Null);
    }

    [Fact]
    public async Task RedisDown_ReadsGoToDatabase_NeverStale_AndCacheResumesWhenBack()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var id = (await a.Manager.IssueAsync(IssuerCaller, Request(), null, default)).Value!.Payload.Id;
        await b.Manager.GetAsync(IssuerCaller, id, default);
        await b.Manager.GetAsync(IssuerCaller, id, default);

        redis.Stop();
        await WaitUntilAsync(() => Metrics(b).Bypasses > 0, async () => await b.Manager.GetAsync(IssuerCaller, id, default));
        var suspended = await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Suspend, null, "核查中", default);
        Assert.True(suspended.Succeeded);
        Assert.Equal(CertificateStatus.Suspended, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);

        redis.Start();
        await WaitUntilAsync(() => false, async () => await b.Manager.GetAsync(IssuerCaller, id, default), TimeSpan.FromSeconds(1));
        await WaitUntilCachedAsync(b, id, CertificateStatus.Suspended);
        await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, null, "吊销", default);
        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);
    }

    [Fact]
    public async Task ChangeWhileNoRedisMasterWasEverReached_IsWrittenOnceOneIs_AndBothNodesCacheAgain()
    {
        // A node that starts while Redis is away (or sees a Sentinel promote a replica) learns the master's run id
        // without any "connection restored" event; a status change it made meanwhile must still reach Redis, or it
        // stays pending and the node never uses its cache again.
        using var redis = new RedisServer();
        var database = await TestEnvironment.CreatePostgresDatabaseAsync();
        var key = TestEnvironment.NewMasterKey();
        await using (var seeder = await StoreNode.StartAsync("postgresql", database, key, redis.Configuration))
        {
            await TestData.SeedAsync(seeder);
        }

        redis.Stop();
        await using var a = await StoreNode.StartAsync("postgresql", database, key, redis.Configuration, waitForRedis: false);
        var id = (await a.Manager.IssueAsync(IssuerCaller, Request(), null, default)).Value!.Payload.Id;
        Assert.True((await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Suspend, null, "核查中", default)).Succeeded);

        redis.Start();
        await using var b = await StoreNode.StartAsync("postgresql", database, key, redis.Configuration);
        foreach (var node in new[] { a, b })
        {
            await WaitUntilCachedAsync(node, id, CertificateStatus.Suspended);
        }

        await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, null, "吊销", default);
        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);
    }

    [Fact]
    public async Task RedisBackFromAnOlderCopy_LikeAPromotedReplicaThatMissedTheRevoke_NeverServesTheCertificateAsValid()
    {
        // A Sentinel failover may promote a replica that lacks the newest writes (replication is asynchronous): here
        // Redis comes back, with a new run id, from a snapshot taken while the certificate was cached as valid, i.e.
        // without the revoke's new generation. The nodes must start over on fresh keys, not read the old ones on.
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var id = (await a.Manager.IssueAsync(IssuerCaller, Request(), null, default)).Value!.Payload.Id;
        await b.Manager.GetAsync(IssuerCaller, id, default);
        var hits = Metrics(b).Hits;
        await WaitUntilAsync(() => Metrics(b).Hits > hits, async () => await b.Manager.GetAsync(IssuerCaller, id, default));
        redis.Command("SAVE");

        Assert.True((await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, null, "吊销", default)).Succeeded);
        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);

        redis.Stop();
        redis.Start();
        foreach (var node in new[] { b, a })
        {
            // Past the reconnect grace the node reads through Redis again (its hits grow), and still sees the revoke.
            await WaitUntilCachedAsync(node, id, CertificateStatus.Revoked);
        }
    }

    [Fact]
    public async Task GenerationReads_UnderConcurrentReads_AlwaysSeeAnInvalidationThatReturned()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var onA = a.Services.GetRequiredService<ICacheCoordinator>();
        var onB = b.Services.GetRequiredService<ICacheCoordinator>();
        const string key = "test:grouped";

        // Keeps generation reads of the key in flight on B the whole time, so every read below lands while a group is on its way.
        using var stop = new CancellationTokenSource();
        var background = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await onB.GetGenerationAsync(key, default);
            }
        })).ToArray();

        for (var i = 0; i < 50; i++)
        {
            var before = await onB.GetGenerationAsync(key, default);
            Assert.NotNull(before);
            await onA.InvalidateAsync([key], default);
            var after = await onB.GetGenerationAsync(key, default);
            Assert.NotNull(after);
            Assert.NotEqual(before, after);
        }

        await stop.CancelAsync();
        await Task.WhenAll(background);
    }

    [Fact]
    public async Task GenerationReads_ManyConcurrent_ShareRedisCommands()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration, generationLease: TimeSpan.Zero); // every read goes to Redis
        await using var _ = a;
        await using var __ = b;
        var coordinator = b.Services.GetRequiredService<ICacheCoordinator>();
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await server.ConfigResetStatisticsAsync();

        var keys = Enumerable.Range(0, 3).Select(i => $"test:shared:{i}").ToArray();
        var reads = Enumerable.Range(0, 300).Select(i => coordinator.GetGenerationAsync(keys[i % keys.Length], default).AsTask()).ToArray();
        var generations = await Task.WhenAll(reads);

        // Every read of one key answers the one current generation; far fewer commands than the 300 reads.
        for (var k = 0; k < keys.Length; k++)
        {
            Assert.Single(generations.Where((_, i) => i % keys.Length == k).Distinct());
            Assert.NotNull(generations[k]);
        }

        var stats = await server.InfoAsync("commandstats");
        var commands = stats.SelectMany(g => g).Where(p => p.Key != "cmdstat_config" && p.Key != "cmdstat_info")
            .Sum(p => long.Parse(p.Value.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(commands, 1, 100);
    }

    [Fact]
    public async Task GenerationRead_WhileRedisStalls_GivesUpAfterOneSecond_ThenRedisServesAgain()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration, generationLease: TimeSpan.Zero); // every read goes to Redis
        await using var _ = a;
        await using var __ = b;
        var coordinator = b.Services.GetRequiredService<ICacheCoordinator>();
        var before = await coordinator.GetGenerationAsync("test:stall", default);

        // Redis keeps the connections but answers no command for 4 s (a stalled server, or a call lost on the way).
        redis.Command("CLIENT", "PAUSE", "4000");
        var stalled = System.Diagnostics.Stopwatch.StartNew();
        var during = await coordinator.GetGenerationAsync("test:stall", default);
        stalled.Stop();
        await Task.Delay(TimeSpan.FromSeconds(4) - stalled.Elapsed + TimeSpan.FromMilliseconds(500));
        var after = await coordinator.GetGenerationAsync("test:stall", default);

        Assert.NotNull(before);
        Assert.Null(during); // unknown generation: the caller reads the database instead of waiting for Redis
        Assert.InRange(stalled.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task ReconnectGrace_IsCountedOnTheInjectedClock()
    {
        using var redis = new RedisServer();
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var database = await TestEnvironment.CreatePostgresDatabaseAsync();
        await using var node = await StoreNode.StartAsync("postgresql", database, TestEnvironment.NewMasterKey(), redis.Configuration, TimeSpan.Zero, time);
        var coordinator = (CertLibrary.CertStore.Redis.RedisCacheCoordinator)node.Services.GetRequiredService<ICacheCoordinator>();
        Assert.NotNull(await coordinator.GetGenerationAsync("test:grace", default));

        redis.Stop();
        await WaitUntilAsync(() => !coordinator.IsConnected, () => Task.CompletedTask);
        redis.Start();
        await WaitUntilAsync(() => coordinator.IsConnected, () => Task.CompletedTask);

        // Reconnected: the node reads from the database for the grace period, however long it waits in real time here.
        string? during = "";
        await WaitUntilAsync(() => false, async () => during = await coordinator.GetGenerationAsync("test:grace", default), TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(5.5));
        var after = await coordinator.GetGenerationAsync("test:grace", default);

        Assert.Null(during);
        Assert.NotNull(after);
    }

    [Fact]
    public async Task GetGenerations_OneMultiGetForAllKeys_SeesInvalidationOnOtherNode()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration, generationLease: TimeSpan.Zero); // every read goes to Redis
        await using var _ = a;
        await using var __ = b;
        var onB = b.Services.GetRequiredService<ICacheCoordinator>();
        var keys = Enumerable.Range(0, 5).Select(i => $"test:many:{i}").ToArray();
        var first = await onB.GetGenerationsAsync(keys, default);
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await server.ConfigResetStatisticsAsync();

        var again = await onB.GetGenerationsAsync(keys, default);
        var mgets = (await server.InfoAsync("commandstats")).SelectMany(g => g).Single(p => p.Key == "cmdstat_mget").Value;
        await a.Services.GetRequiredService<ICacheCoordinator>().InvalidateAsync([keys[2]], default);
        var after = await onB.GetGenerationsAsync(keys, default);

        Assert.All(first, Assert.NotNull);
        Assert.Equal(first, again);
        Assert.StartsWith("calls=1,", mgets, StringComparison.Ordinal);
        Assert.Equal(first.Where((_, i) => i != 2), after.Where((_, i) => i != 2));
        Assert.NotEqual(first[2], after[2]);
    }

    [Fact]
    public async Task GenerationLease_RepeatedReadsAnsweredInProcess_AnInvalidationOnTheOtherNodeIsSeenOnceItReturned()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var onA = a.Services.GetRequiredService<ICacheCoordinator>();
        var onB = b.Services.GetRequiredService<ICacheCoordinator>();
        var keys = Enumerable.Range(0, 3).Select(i => $"test:lease:{i}").ToArray();
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        for (var round = 0; round < 5; round++)
        {
            var first = await onB.GetGenerationsAsync(keys, default);

            // B's change-token reads (every 20 ms) grant its lease; on a busy machine one may come late, so try a few times
            // for 20 reads in a row that send no generation read to Redis at all.
            var local = false;
            for (var attempt = 0; attempt < 40 && !local; attempt++)
            {
                await Task.Delay(50);
                await server.ConfigResetStatisticsAsync();
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal(first, await onB.GetGenerationsAsync(keys, default));
                }

                local = !(await server.InfoAsync("commandstats")).SelectMany(g => g).Any(p => p.Key == "cmdstat_mget");
            }

            Assert.True(local, "B answers repeated generation reads from memory under its lease");

            var invalidating = System.Diagnostics.Stopwatch.StartNew();
            await onA.InvalidateAsync([keys[round % keys.Length]], default);
            Assert.True(invalidating.Elapsed >= TimeSpan.FromMilliseconds(100), "an invalidation waits out every lease");
            var after = await onB.GetGenerationsAsync(keys, default);
            for (var k = 0; k < keys.Length; k++)
            {
                Assert.Equal(k == round % keys.Length, first[k] != after[k]);
            }
        }
    }

    [Fact]
    public async Task GenerationLease_AReadThatCrossedAnInvalidation_IsUsedOnceButNotRemembered()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var onA = a.Services.GetRequiredService<ICacheCoordinator>();
        var onB = (CertLibrary.CertStore.Redis.RedisCacheCoordinator)b.Services.GetRequiredService<ICacheCoordinator>();
        const string key = "test:crossed";
        var old = await onA.GetGenerationAsync(key, default); // created
        await Task.Delay(50); // B holds a lease

        // B's read of the old generation comes back, then waits while A invalidates (B forgets on the new change
        // token meanwhile), and only then would be remembered.
        var returned = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        onB.BeforeRemember = async keys =>
        {
            if (keys.Contains(key))
            {
                returned.TrySetResult();
                await release.Task;
            }
        };
        var crossing = onB.GetGenerationAsync(key, default).AsTask();
        await returned.Task;
        onB.BeforeRemember = null;
        await onA.InvalidateAsync([key], default);
        release.SetResult();

        Assert.Equal(old, await crossing); // read before the invalidation returned: the old generation is a right answer
        var current = await onA.GetGenerationAsync(key, default);
        Assert.NotEqual(old, current);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(current, await onB.GetGenerationAsync(key, default)); // never the crossed read
        }
    }

    [Fact]
    public async Task ConsentWithdrawn_OnNodeA_RefusesLookupOnNodeB_AtOnce_WhileBIsBusy()
    {
        using var redis = new RedisServer();
        var (a, b) = await StartNodesAsync(redis.Configuration);
        await using var _ = a;
        await using var __ = b;
        var holder = CitizenId.Parse(HolderNumber);
        await a.Manager.IssueAsync(IssuerCaller, Request(), null, default);
        var oneNumberA = a.Services.GetRequiredService<OneNumberManager>();
        var oneNumberB = b.Services.GetRequiredService<OneNumberManager>();
        var user = new Caller("client-c", TestData.UserC, false);
        var lookup = new LookupCommand(holder, "办理公积金提取", null);
        await oneNumberA.SetConsentRequiredAsync(holder, true, default);
        var consent = (await oneNumberA.GrantConsentAsync(holder,
            new ConsentCommand(CreditCode.Parse(TestData.UserC), [CertificateTypeCode.Parse(TestData.TypeA)], null, DateTimeOffset.UtcNow.AddDays(30)), default)).Value!;
        for (var i = 0; i < 3; i++)
        {
            Assert.Single((await oneNumberB.LookupAsync(user, lookup, default)).Value!.Certificates);
        }

        // Other lookups keep B's generation reads in flight while the consent is withdrawn on A.
        using var stop = new CancellationTokenSource();
        var busy = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await oneNumberB.LookupAsync(user, lookup, default);
            }
        })).ToArray();
        await Task.Delay(100);
        Assert.True((await oneNumberA.WithdrawConsentAsync(holder, consent.Id, default)).Succeeded);

        var refused = await oneNumberB.LookupAsync(user, lookup, default);
        await stop.CancelAsync();
        await Task.WhenAll(busy);
        Assert.False(refused.Succeeded);
        Assert.Equal("consent-required", refused.Error!.Code);
    }

    private static CacheMetrics Metrics(StoreNode node) => node.Services.GetRequiredService<CacheMetrics>();

    /// <summary>Reads the certificate on <paramref name="node"/> until its cache serves it (hits grow), each read showing <paramref name="expected"/>.</summary>
    private static async Task WaitUntilCachedAsync(StoreNode node, string id, string expected)
    {
        var hits = Metrics(node).Hits;
        await WaitUntilAsync(() => Metrics(node).Hits > hits, async () =>
            Assert.Equal(expected, (await node.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Func<Task> step, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            await step();
            if (condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.True(timeout is not null, "Condition not reached in time.");
    }
}
