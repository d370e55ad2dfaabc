namespace CertLibrary.CertStore.Redis;

/// <summary>Options of the Redis second-level cache.</summary>
public sealed class RedisCacheOptions
{
    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>.</summary>
    public string Configuration { get; set; } = "";

    /// <summary>Prefix of every key and channel, so several deployments can share a server.</summary>
    public string Prefix { get; set; } = "certlib";

    /// <summary>How long second-level values live.</summary>
    public TimeSpan ValueLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a node may answer generations it already read without asking Redis again, counted from the last time it
    /// confirmed that nothing changed since (it checks five times per lease). Every invalidation waits this long before
    /// it returns, so that no node can still be within a lease that started before it. Zero: every generation read goes
    /// to Redis.
    /// </summary>
    public TimeSpan GenerationLease { get; set; } = TimeSpan.FromMilliseconds(100);
}
