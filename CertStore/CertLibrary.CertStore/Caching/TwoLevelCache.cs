using System.Text.Json;
using CertLibrary.CertStore.Model;
using Microsoft.Extensions.Caching.Memory;

namespace CertLibrary.CertStore.Caching;

/// <summary>
/// The cache behind the caching decorators: L1 in-process, L2 through the coordinator. A value is served only while
/// the generation it was stored under is current; <see cref="InvalidateAsync"/> replaces generations (on every node)
/// before it returns, so a change is visible everywhere as soon as the call that made it returns.
/// </summary>
internal sealed class TwoLevelCache : IDisposable
{
    private static readonly TimeSpan L1Lifetime = TimeSpan.FromMinutes(5);
    private readonly ICacheCoordinator _coordinator;
    private readonly MemoryCache _l1 = new(new MemoryCacheOptions { SizeLimit = 200_000 });
    private readonly CacheMetrics _metrics;

    public TwoLevelCache(ICacheCoordinator coordinator, CacheMetrics metrics)
    {
        _coordinator = coordinator;
        _metrics = metrics;
        _coordinator.Evicted += OnEvicted;
    }

    public async Task<T?> GetOrLoadAsync<T>(string key, Func<CancellationToken, Task<T?>> load, CancellationToken cancellationToken)
        where T : class
    {
        var generation = await _coordinator.GetGenerationAsync(key, cancellationToken);
        if (generation is null)
        {
            _metrics.Bypass();
            return await load(cancellationToken);
        }

        if (_l1.TryGetValue(key, out Entry? entry) && entry!.Generation == generation)
        {
            _metrics.Hit(1);
            return (T)entry.Value;
        }

        var bytes = await _coordinator.GetAsync(key, generation, cancellationToken);
        if (bytes is not null && JsonSerializer.Deserialize<T>(bytes, CertStoreJson.Options) is { } cached)
        {
            _metrics.Hit(2);
            _l1.Set(key, new Entry(generation, cached), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = L1Lifetime });
            return cached;
        }

        _metrics.Miss();
        var value = await load(cancellationToken);
        if (value is not null)
        {
            // Stored under the generation read BEFORE the load: if a change happened meanwhile, the generation
            // moved on and this entry is never served.
            _l1.Set(key, new Entry(generation, value), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = L1Lifetime });
            await _coordinator.SetAsync(key, generation, JsonSerializer.SerializeToUtf8Bytes(value, CertStoreJson.Options), cancellationToken);
        }

        return value;
    }

    public async Task InvalidateAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            _l1.Remove(key);
        }

        await _coordinator.InvalidateAsync(keys, cancellationToken);
    }

    public void Dispose()
    {
        _coordinator.Evicted -= OnEvicted;
        _l1.Dispose();
    }

    private void OnEvicted(IReadOnlyCollection<string>? keys)
    {
        if (keys is null)
        {
            _l1.Clear();
            return;
        }

        foreach (var key in keys)
        {
            _l1.Remove(key);
        }
    }

    private sealed record Entry(string Generation, object Value);
}
