using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CertLibrary.CertStore.Caching;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CertLibrary.CertStore.Redis;

/// <summary>
/// Generations and second-level values in Redis, evictions over pub/sub. Keys use hash tags so a key's
/// generation and value share a Redis Cluster slot. When Redis cannot be reached the coordinator answers
/// "unknown generation" and every read goes to the database; invalidations that could not be written are
/// kept and replayed when the connection returns, before this node serves from cache again.
/// </summary>
internal sealed partial class RedisCacheCoordinator : ICacheCoordinator, IDisposable
{
    private const string GenerationScript =
        "local g = redis.call('GET', KEYS[1]) " +
        "if not g then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return ARGV[1] end " +
        "return g";

    private static readonly TimeSpan GenerationLifetime = TimeSpan.FromDays(1);

    // After a reconnect, other nodes may still be replaying invalidations they could not write during the
    // outage (each node reconnects on its own schedule), so this node reads from the database for a while.
    private static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(5);

    // A write waits this long for its invalidation to reach Redis before it returns (see InvalidateAsync).
    private static readonly TimeSpan InvalidationWait = TimeSpan.FromSeconds(2);
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisCacheOptions _options;
    private readonly ILogger _logger;
    private readonly string _channel;
    private readonly string _nodeId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private int _replaying;
    private long _bypassUntilTicks;

    public RedisCacheCoordinator(RedisCacheOptions options, ILogger<RedisCacheCoordinator> logger)
    {
        _options = options;
        _logger = logger;
        _channel = options.Prefix + ":evict";
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 2000;
        configuration.SyncTimeout = 1000;
        configuration.ResponseTimeout = 1000;
        configuration.KeepAlive = 5;
        _redis = ConnectionMultiplexer.Connect(configuration);
        _redis.ConnectionFailed += (_, _) =>
        {
            LogConnection(_logger, "lost");
            Evicted?.Invoke(null);
        };
        _redis.ConnectionRestored += (_, _) =>
        {
            LogConnection(_logger, "restored");
            Interlocked.Exchange(ref _bypassUntilTicks, DateTime.UtcNow.Add(ReconnectGrace).Ticks);
            Evicted?.Invoke(null);
            _ = ReplayPendingAsync();
        };
        _redis.GetSubscriber().Subscribe(_channel, (_, message) => OnMessage(message));
    }

    public event Action<IReadOnlyCollection<string>?>? Evicted;

    /// <summary>Whether Redis answers now (for readiness checks).</summary>
    public bool IsConnected => _redis.IsConnected;

    public async ValueTask<string?> GetGenerationAsync(string key, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected || !_pending.IsEmpty || DateTime.UtcNow.Ticks < Interlocked.Read(ref _bypassUntilTicks))
        {
            return null;
        }

        try
        {
            var fresh = NewToken();
            var result = await _redis.GetDatabase().ScriptEvaluateAsync(GenerationScript,
                [GenerationKey(key)], [fresh, (long)GenerationLifetime.TotalSeconds]);
            return (string?)result;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// The generations of <paramref name="keys"/> read with plain GETs sent as one batch (one round trip; each key
    /// keeps its own cluster slot); a key without a generation yet gets one from <see cref="GetGenerationAsync"/>.
    /// </summary>
    public async ValueTask<IReadOnlyList<string?>> GetGenerationsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var generations = new string?[keys.Count];
        if (!_redis.IsConnected || !_pending.IsEmpty || DateTime.UtcNow.Ticks < Interlocked.Read(ref _bypassUntilTicks))
        {
            return generations;
        }

        try
        {
            var batch = _redis.GetDatabase().CreateBatch();
            var reads = new Task<RedisValue>[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                reads[i] = batch.StringGetAsync(GenerationKey(keys[i]));
            }

            batch.Execute();
            var values = await Task.WhenAll(reads);
            for (var i = 0; i < keys.Count; i++)
            {
                generations[i] = values[i].HasValue ? (string?)values[i] : await GetGenerationAsync(keys[i], cancellationToken);
            }

            return generations;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return new string?[keys.Count];
        }
    }

    public async ValueTask<byte[]?> GetAsync(string key, string generation, CancellationToken cancellationToken)
    {
        try
        {
            var value = (byte[]?)await _redis.GetDatabase().StringGetAsync(ValueKey(key));
            var prefix = Encoding.ASCII.GetBytes(generation + "|");
            return value is not null && value.AsSpan().StartsWith(prefix) ? value[prefix.Length..] : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return null;
        }
    }

    public async ValueTask SetAsync(string key, string generation, byte[] value, CancellationToken cancellationToken)
    {
        try
        {
            var stored = Encoding.ASCII.GetBytes(generation + "|").Concat(value).ToArray();
            await _redis.GetDatabase().StringSetAsync(ValueKey(key), stored, _options.ValueLifetime);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // A missing L2 value only costs a database read.
        }
    }

    public async ValueTask InvalidateAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            _pending[key] = 0;
        }

        // The change is committed; wait (bounded) until its invalidation is in Redis, so that a node that is
        // connected while this one reconnects cannot serve the old value. Past the wait the keys stay pending
        // and are replayed in the background; this node bypasses its cache meanwhile.
        var deadline = DateTime.UtcNow + InvalidationWait;
        while (true)
        {
            await ReplayPendingAsync();
            if (!keys.Any(_pending.ContainsKey) || DateTime.UtcNow >= deadline)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }
    }

    public void Dispose() => _redis.Dispose();

    private async Task ReplayPendingAsync()
    {
        if (Interlocked.Exchange(ref _replaying, 1) == 1)
        {
            return;
        }

        try
        {
            var keys = _pending.Keys.ToArray();
            if (keys.Length == 0 || !_redis.IsConnected)
            {
                return;
            }

            var db = _redis.GetDatabase();
            var batch = db.CreateBatch();
            var writes = new List<Task>(keys.Length * 2 + 1);
            foreach (var key in keys)
            {
                writes.Add(batch.StringSetAsync(GenerationKey(key), NewToken(), GenerationLifetime));
                writes.Add(batch.KeyDeleteAsync(ValueKey(key)));
            }

            writes.Add(batch.PublishAsync(_channel, _nodeId + "\n" + string.Join('\n', keys)));
            batch.Execute();
            await Task.WhenAll(writes);
            foreach (var key in keys)
            {
                _pending.TryRemove(key, out _);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogInvalidationDeferred(_logger, _pending.Count);
            _ = RetryLaterAsync();
        }
        finally
        {
            Volatile.Write(ref _replaying, 0);
        }
    }

    private async Task RetryLaterAsync()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await ReplayPendingAsync();
    }

    private void OnMessage(RedisValue message)
    {
        var parts = ((string?)message ?? "").Split('\n');
        if (parts.Length > 1 && parts[0] != _nodeId)
        {
            Evicted?.Invoke(parts[1..]);
        }
    }

    private RedisKey GenerationKey(string key) => $"{_options.Prefix}:{{{key}}}:g";

    private RedisKey ValueKey(string key) => $"{_options.Prefix}:{{{key}}}:v";

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection {State}; local cache cleared")]
    private static partial void LogConnection(ILogger logger, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable: {Count} cache invalidations deferred; this node reads from the database until they are written")]
    private static partial void LogInvalidationDeferred(ILogger logger, int count);
}
