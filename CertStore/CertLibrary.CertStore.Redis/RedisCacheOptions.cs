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
}
