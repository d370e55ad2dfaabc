using System.Collections.Concurrent;
using System.Globalization;

namespace CertLibrary.CertStore.Caching;

/// <summary>Generations for a single node: a counter per key, no second level.</summary>
internal sealed class LocalCacheCoordinator : ICacheCoordinator
{
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);
    private long _next;

    public event Action<IReadOnlyCollection<string>?>? Evicted
    {
        add { }
        remove { }
    }

    public ValueTask<string?> GetGenerationAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(_generations.GetOrAdd(key, _ => Interlocked.Increment(ref _next)).ToString(CultureInfo.InvariantCulture));

    public ValueTask<byte[]?> GetAsync(string key, string generation, CancellationToken cancellationToken) => ValueTask.FromResult<byte[]?>(null);

    public ValueTask SetAsync(string key, string generation, byte[] value, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask InvalidateAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            _generations[key] = Interlocked.Increment(ref _next);
        }

        return ValueTask.CompletedTask;
    }
}
