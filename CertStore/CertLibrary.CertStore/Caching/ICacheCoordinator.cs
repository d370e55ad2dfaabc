namespace CertLibrary.CertStore.Caching;

/// <summary>
/// Keeps cached reads consistent across nodes. Every cache key has a generation token; a change replaces the
/// token before the changing call returns, and a cached value is served only while its token is current.
/// The in-process coordinator serves one node; the Redis one (<c>CertLibrary.CertStore.Redis</c>) many.
/// </summary>
public interface ICacheCoordinator
{
    /// <summary>Current generation of <paramref name="key"/>, or null when it cannot be known (caches are then bypassed).</summary>
    ValueTask<string?> GetGenerationAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Current generations of several keys, one entry per key with the meaning of <see cref="GetGenerationAsync"/>.
    /// A coordinator that talks to a server reads them in one round trip (verification reads the key list and a
    /// certificate on every request).
    /// </summary>
    async ValueTask<IReadOnlyList<string?>> GetGenerationsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var generations = new string?[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            generations[i] = await GetGenerationAsync(keys[i], cancellationToken);
        }

        return generations;
    }

    /// <summary>Second-level cached bytes of <paramref name="key"/> stored under <paramref name="generation"/>, if any.</summary>
    ValueTask<byte[]?> GetAsync(string key, string generation, CancellationToken cancellationToken);

    /// <summary>Stores bytes in the second level under <paramref name="generation"/>.</summary>
    ValueTask SetAsync(string key, string generation, byte[] value, CancellationToken cancellationToken);

    /// <summary>Replaces the generation of every key and tells other nodes to evict them; returns once the new generations are in force.</summary>
    ValueTask InvalidateAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

    /// <summary>Raised when another node invalidated keys, or (with null) when every local entry must go.</summary>
    event Action<IReadOnlyCollection<string>?>? Evicted;
}
