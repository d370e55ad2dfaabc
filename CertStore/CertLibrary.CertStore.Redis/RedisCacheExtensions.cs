using CertLibrary.CertStore.Caching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace CertLibrary.CertStore.Redis;

/// <summary>Registers Redis as the second-level cache and the cross-node invalidation channel.</summary>
public static class RedisCacheExtensions
{
    /// <summary>Uses Redis for cache generations, values and pub/sub evictions.</summary>
    public static CertStoreBuilder UseRedisCache(this CertStoreBuilder builder, Action<RedisCacheOptions> configure)
    {
        var options = new RedisCacheOptions();
        configure(options);
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            throw new ArgumentException("Redis configuration (CERTLIB_REDIS) is empty.", nameof(configure));
        }

        builder.Services.RemoveAll<ICacheCoordinator>();
        builder.Services.AddSingleton(sp => new RedisCacheCoordinator(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RedisCacheCoordinator>>()));
        builder.Services.AddSingleton<ICacheCoordinator>(sp => sp.GetRequiredService<RedisCacheCoordinator>());
        builder.Services.AddSingleton<IRedisHealth>(sp => new RedisHealth(sp.GetRequiredService<RedisCacheCoordinator>()));
        return builder;
    }
}

/// <summary>Whether the configured Redis answers (used by <c>/health/ready</c>).</summary>
public interface IRedisHealth
{
    bool IsConnected { get; }
}

internal sealed class RedisHealth(RedisCacheCoordinator coordinator) : IRedisHealth
{
    public bool IsConnected => coordinator.IsConnected;
}
