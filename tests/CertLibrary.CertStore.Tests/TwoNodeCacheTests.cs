using CertLibrary.CertStore.Caching;
using CertLibrary.CertStore.Model;
using CertLibrary.Identifiers;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.CertStore.Tests;

/// <summary>Two nodes on one PostgreSQL and one Redis: a change on one node is seen on the other at once.</summary>
public sealed class TwoNodeCacheTests
{
    private static Caller IssuerCaller => new("client-a", TestData.IssuerA, false);

    private static string HolderNumber => TestData.HolderNumber;

    private static IssueRequest Request() => TestData.Request();

    private static async Task<(StoreNode A, StoreNode B)> StartNodesAsync(string redis)
    {
        var database = await TestEnvironment.CreatePostgresDatabaseAsync();
        var key = TestEnvironment.NewMasterKey();
        var a = await StoreNode.StartAsync("postgresql", database, key, redis);
        await TestData.SeedAsync(a);
        var b = await StoreNode.StartAsync("postgresql", database, key, redis);
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
            Assert.Equal(CertificateStatus.Valid, (await b.Manager.ListByHolderAsync(holder, default)).Single().Status);
        }

        var hitsBefore = Metrics(b).Hits;
        Assert.True(hitsBefore >= 2, $"B should serve repeated reads from cache (hits {hitsBefore}).");

        await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, "证件遗失", default);

        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);
        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.ListByHolderAsync(holder, default)).Single().Status);
    }

    [Fact]
    public async Task GetGenerations_OneBatch_MatchesSingleReads_SeesOtherNodesChangeAtOnce_AndBypassesWhenRedisDown()
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

        await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, "证件遗失", default);
        var after = await onB.GetGenerationsAsync(keys, default);
        Assert.Equal(before[0], after[0]);
        Assert.NotEqual(before[1], after[1]);
        Assert.Equal(before[2], after[2]);

        redis.Stop();
        var down = await onB.GetGenerationsAsync(keys, default);
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
        var suspended = await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Suspend, "核查中", default);
        Assert.True(suspended.Succeeded);
        Assert.Equal(CertificateStatus.Suspended, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);

        redis.Start();
        await WaitUntilAsync(() => false, async () => await b.Manager.GetAsync(IssuerCaller, id, default), TimeSpan.FromSeconds(1));
        var hits = Metrics(b).Hits;
        await WaitUntilAsync(() => Metrics(b).Hits > hits, async () =>
            Assert.Equal(CertificateStatus.Suspended, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status));
        await a.Manager.ChangeStatusAsync(IssuerCaller, id, StatusAction.Revoke, "吊销", default);
        Assert.Equal(CertificateStatus.Revoked, (await b.Manager.GetAsync(IssuerCaller, id, default)).Value!.Status);
    }

    private static CacheMetrics Metrics(StoreNode node) => node.Services.GetRequiredService<CacheMetrics>();

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
