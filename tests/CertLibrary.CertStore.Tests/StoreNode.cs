using CertLibrary.CertStore.Caching;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.PostgreSql;
using CertLibrary.CertStore.Redis;
using CertLibrary.CertStore.Sqlite;
using CertLibrary.CertStore.Stores;
using CertLibrary.Data;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.CertStore.Tests;

/// <summary>One application node's store services over a shared database (and optionally a shared Redis).</summary>
public sealed class StoreNode : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private StoreNode(ServiceProvider services) => _services = services;

    public IServiceProvider Services => _services;

    public CertificateManager Manager => _services.GetRequiredService<CertificateManager>();

    public ICertificateStore Store => _services.GetRequiredService<ICertificateStore>();

    public ICertLibraryDatabase Database => _services.GetRequiredService<ICertLibraryDatabase>();

    public KeyManager Keys => _services.GetRequiredService<KeyManager>();

    public SignatureSuites Suites => _services.GetRequiredService<SignatureSuites>();

    public PersonalDataProtector Protector => _services.GetRequiredService<PersonalDataProtector>();

    public static async Task<StoreNode> StartAsync(string backend, string location, byte[] masterKey, string? redis = null, TimeSpan? generationLease = null, TimeProvider? time = null, bool waitForRedis = true)
    {
        var services = new ServiceCollection().AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        var store = services.AddCertStore(o => o.MasterKey = masterKey);
        if (backend == "sqlite")
        {
            store.UseSqlite(o => o.Path = location);
        }
        else
        {
            store.UsePostgreSql(location);
        }

        if (redis is not null)
        {
            store.UseRedisCache(o =>
            {
                o.Configuration = redis;
                o.GenerationLease = generationLease ?? o.GenerationLease;
            });
        }

        services.AddCertLibrarySigning(o => o.MasterKey = Convert.ToBase64String(masterKey)).AddSm2();
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        if (redis is not null && waitForRedis)
        {
            await WaitUntilCacheServesAsync(provider.GetRequiredService<ICacheCoordinator>());
        }

        return new StoreNode(provider);
    }

    /// <summary>
    /// Waits until the node reads generations from Redis, as a node does before it reports ready: on a busy machine the
    /// first connection can outlast the connect timeout and then completes in the background, followed by the grace
    /// period after a (re)connect during which every read goes to the database.
    /// </summary>
    private static async Task WaitUntilCacheServesAsync(ICacheCoordinator coordinator)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await coordinator.GetGenerationAsync("test:ready", default) is null)
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException("The node did not read generations from Redis within 30 s.");
            }

            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
