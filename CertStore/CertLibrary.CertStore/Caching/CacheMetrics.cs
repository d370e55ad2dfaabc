using System.Diagnostics.Metrics;

namespace CertLibrary.CertStore.Caching;

/// <summary>Cache counters (OpenTelemetry meter <c>CertLibrary.Cache</c>): hits per level, misses, bypasses while the coordinator is unavailable.</summary>
public sealed class CacheMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "CertLibrary.Cache";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _lookups;
    private long _hits;
    private long _misses;
    private long _bypasses;

    public CacheMetrics() => _lookups = _meter.CreateCounter<long>("certlib.cache.lookups", description: "Cached reads by outcome");

    /// <summary>Hits so far (either level).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Misses so far (loaded from the database).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Reads that bypassed the cache because generations could not be read.</summary>
    public long Bypasses => Interlocked.Read(ref _bypasses);

    public void Dispose() => _meter.Dispose();

    internal void Hit(int level)
    {
        Interlocked.Increment(ref _hits);
        _lookups.Add(1, new KeyValuePair<string, object?>("outcome", level == 1 ? "hit-l1" : "hit-l2"));
    }

    internal void Miss()
    {
        Interlocked.Increment(ref _misses);
        _lookups.Add(1, new KeyValuePair<string, object?>("outcome", "miss"));
    }

    internal void Bypass()
    {
        Interlocked.Increment(ref _bypasses);
        _lookups.Add(1, new KeyValuePair<string, object?>("outcome", "bypass"));
    }
}
