using System.Collections.Concurrent;
using System.Diagnostics;
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
/// <para>
/// Failover (Redis Sentinel, <c>serviceName=</c> in the configuration): key names carry the run id of the master they
/// live on. A promoted replica may lack the newest generation tokens (replication is asynchronous), so when the client
/// is switched to another master (or the master restarted) the keys of the old one are never read again, and the node
/// takes the reconnect path as after an outage (see RefreshEraAsync).
/// </para>
/// <para>
/// Generation reads are grouped: every read asked for while a group is on its way to Redis waits for the next group,
/// which fetches all of them (each key once) with one MGET per cluster hash slot. A read therefore always goes out
/// after it was asked for and sees every invalidation that returned before it; concurrent requests (and the several
/// cached items of one lookup) share one round trip instead of paying one command each.
/// </para>
/// <para>
/// Generation leases (<see cref="RedisCacheOptions.GenerationLease"/>, L): every invalidation also replaces one change
/// token, in the same pipeline and after the new generations, and then waits L before it returns. Each node reads the
/// token every L/5; when it changed, the node forgets every generation it had read, and either way it may answer
/// generations from memory until L (less a tenth for clock rates) after it SENT that read. Why a revoke is still seen
/// everywhere once it returned: if a node answers from memory at a time t at least L after the token changed, its
/// lease comes from a token read sent after the change, which saw the change and made it forget. A generation read
/// from Redis is remembered only if nothing was forgotten since that read was sent (an epoch), so a read that crossed
/// an invalidation is used once and not kept. Without a fresh token read (Redis slow or gone) the lease lapses and
/// every read goes to Redis again, or to the database.
/// </para>
/// </summary>
internal sealed partial class RedisCacheCoordinator : ICacheCoordinator, IDisposable
{
    private const string GenerationScript =
        "local g = redis.call('GET', KEYS[1]) " +
        "if not g then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return ARGV[1] end " +
        "return g";

    private const string RunIdScript = "return redis.call('INFO', 'server')";

    private static readonly TimeSpan GenerationLifetime = TimeSpan.FromDays(1);

    // After a reconnect, other nodes may still be replaying invalidations they could not write during the
    // outage (each node reconnects on its own schedule), so this node reads from the database for a while.
    private static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(5);

    // A write waits this long for its invalidation to reach Redis before it returns (see InvalidateAsync).
    private static readonly TimeSpan InvalidationWait = TimeSpan.FromSeconds(2);
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisChannel _channel;
    private readonly string _nodeId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private readonly Lock _readLock = new();
    private Dictionary<string, TaskCompletionSource<string?>> _queuedReads = new(StringComparer.Ordinal);
    private bool _reading;
    private bool? _cluster;
    private int _replaying;
    private int _replayRequested;
    private int _retryScheduled;
    private long _bypassUntilTicks;

    // The run id of the master the keys live on (see RefreshEraAsync); null while unknown, and then nothing is served
    // from Redis and invalidations stay pending.
    private string? _era;
    private int _refreshingEra;
    private string? _lastEra;

    /// <summary>
    /// How long one Redis call may take, synchronous or not (the client's SyncTimeout and AsyncTimeout). A late answer
    /// fails the call with a <see cref="RedisTimeoutException"/>, which every caller here handles the safe way: a read
    /// falls back to the database, an invalidation stays pending (bypassing the cache) and is retried.
    /// </summary>
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(1);

    // The client looks for calls past their timeout on each heartbeat (every second by default): a quarter of the
    // timeout makes a late call fail within 1.25 s.
    private static readonly TimeSpan Heartbeat = OperationTimeout / 4;

    // Generation leases (see the class remarks).
    private const int MaxKnown = 200_000;
    private readonly TimeSpan _lease;
    private readonly ConcurrentDictionary<string, string> _known = new(StringComparer.Ordinal);
    private readonly Lock _knownLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _knownEpoch;
    private int _disposed;
    private long _leaseUntil;
    private string? _lastChange;

    public RedisCacheCoordinator(RedisCacheOptions options, TimeProvider time, ILogger<RedisCacheCoordinator> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _channel = RedisChannel.Literal(options.Prefix + ":evict");
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false; // reconnects in the background (the client's ReconnectRetryPolicy)
        configuration.ConnectTimeout = 2000;
        configuration.SyncTimeout = (int)OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)OperationTimeout.TotalMilliseconds;
        configuration.HeartbeatInterval = Heartbeat;
        configuration.KeepAlive = 5;

        // While disconnected a call fails at once (no backlog waiting for the reconnect): reads go to the database and
        // invalidations stay pending until ConnectionRestored replays them.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _redis = ConnectionMultiplexer.Connect(configuration);
        _redis.ConnectionFailed += (_, _) =>
        {
            // The master may be gone for good (Sentinel promotes a replica): no cache until its run id is read again.
            Volatile.Write(ref _era, null);
            LogConnection(_logger, "lost");
            ForgetKnown();
            Evicted?.Invoke(null);
        };
        _redis.ConnectionRestored += (_, _) => _ = RefreshEraAsync(restored: true);
        _redis.ConfigurationChanged += (_, _) => _ = RefreshEraAsync(restored: false);
        _redis.ConfigurationChangedBroadcast += (_, _) => _ = RefreshEraAsync(restored: false);
        _ = RefreshEraAsync(restored: false);
        try
        {
            _redis.GetSubscriber().Subscribe(_channel, (_, message) => OnMessage(message));
        }
        catch (RedisConnectionException e)
        {
            // Redis is away at start-up: the subscription is registered all the same and made once a connection is
            // (until then every read goes to the database), so the node starts and serves rather than failing.
            LogStartedWithoutRedis(_logger, e);
        }
        _lease = options.GenerationLease;
        if (_lease > TimeSpan.Zero)
        {
            _ = CheckChangesAsync();
        }
    }

    public event Action<IReadOnlyCollection<string>?>? Evicted;

    /// <summary>Test seam: awaited after a generation read came back and before it is remembered.</summary>
    internal Func<IReadOnlyList<string>, Task>? BeforeRemember { get; set; }

    /// <summary>Whether Redis answers now (for readiness checks).</summary>
    public bool IsConnected => _redis.IsConnected;

    public async ValueTask<string?> GetGenerationAsync(string key, CancellationToken cancellationToken) =>
        (await GetGenerationsAsync([key], cancellationToken))[0];

    /// <summary>The generations of <paramref name="keys"/>, all read in the same group (one round trip).</summary>
    public async ValueTask<IReadOnlyList<string?>> GetGenerationsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var generations = new string?[keys.Count];
        if (keys.Count == 0 || !CanServeFromCache() || TryKnown(keys, generations))
        {
            return generations;
        }

        // Read before the group is sent: anything forgotten after this point may be newer than what the group reads.
        var epoch = Interlocked.Read(ref _knownEpoch);
        var reads = QueueReads([.. keys]);
        for (var i = 0; i < reads.Length; i++)
        {
            generations[i] = await reads[i];
        }

        if (BeforeRemember is { } hook)
        {
            await hook(keys);
        }

        Remember(keys, generations, epoch);
        return generations;
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
        var deadline = _time.GetUtcNow() + InvalidationWait;
        while (true)
        {
            await ReplayPendingAsync();
            if (!keys.Any(_pending.ContainsKey))
            {
                // Written (with the change token): no node may return before its lease has run out.
                ForgetKnown();
                await WaitOutLeasesAsync();
                return;
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, CancellationToken.None);
        }
    }

    public void Dispose()
    {
        // Registered under more than one service type, so disposed more than once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        _redis.Dispose();
        _stopping.Dispose();
    }

    /// <summary>The remembered generations of every key, if all are remembered and the lease holds.</summary>
    private bool TryKnown(IReadOnlyList<string> keys, string?[] generations)
    {
        // The lease is read before the entries: a lease extended by a token read that saw a change was written after
        // the entries were forgotten.
        if (_lease <= TimeSpan.Zero || Stopwatch.GetTimestamp() >= Volatile.Read(ref _leaseUntil))
        {
            return false;
        }

        for (var i = 0; i < keys.Count; i++)
        {
            if (!_known.TryGetValue(keys[i], out var generation))
            {
                return false;
            }

            generations[i] = generation;
        }

        return true;
    }

    private void Remember(IReadOnlyList<string> keys, string?[] generations, long epoch)
    {
        if (_lease <= TimeSpan.Zero)
        {
            return;
        }

        lock (_knownLock)
        {
            if (_knownEpoch != epoch || _known.Count > MaxKnown)
            {
                return;
            }

            for (var i = 0; i < keys.Count; i++)
            {
                if (generations[i] is { } generation)
                {
                    _known[keys[i]] = generation;
                }
            }
        }
    }

    private void ForgetKnown()
    {
        lock (_knownLock)
        {
            ForgetKnownLocked();
        }
    }

    private void ForgetKnownLocked()
    {
        _knownEpoch++;
        _known.Clear();
    }

    /// <summary>Waits one full lease on the monotonic clock (a timer may fire early by a tick; this never returns early).</summary>
    private async Task WaitOutLeasesAsync()
    {
        if (IsCluster())
        {
            return; // no node takes a lease on cluster (see CheckChangesAsync)
        }

        var started = Stopwatch.GetTimestamp();
        for (var left = _lease; left > TimeSpan.Zero; left = _lease - Stopwatch.GetElapsedTime(started))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), CancellationToken.None);
        }
    }

    /// <summary>Reads the change token every fifth of a lease: forgets everything when it changed, and extends the lease from the moment the read was sent.</summary>
    private async Task CheckChangesAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                if (_redis.IsConnected && Volatile.Read(ref _era) is not null && !IsCluster())
                {
                    var db = _redis.GetDatabase();
                    var token = (string?)await db.StringGetAsync(ChangeKey);
                    if (token is null)
                    {
                        // First node, or the key was lost: create it; a lease starts from the next read.
                        await db.StringSetAsync(ChangeKey, NewToken(), when: When.NotExists);
                    }

                    lock (_knownLock)
                    {
                        if (token is null || token != _lastChange || _known.Count > MaxKnown)
                        {
                            ForgetKnownLocked();
                            _lastChange = token;
                        }

                        if (token is not null)
                        {
                            // A tenth less than the lease, for clock rates that differ between nodes.
                            Volatile.Write(ref _leaseUntil, sent + (long)(_lease.TotalSeconds * 0.9 * Stopwatch.Frequency));
                        }
                    }
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // No fresh read: the lease lapses on its own.
            }

            try
            {
                await Task.Delay(_lease / 5, stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    private bool CanServeFromCache() =>
        _redis.IsConnected && Volatile.Read(ref _era) is not null && _pending.IsEmpty && _time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _bypassUntilTicks);

    /// <summary>Adds reads to the group that goes out next (starting the reader when none runs); each task completes with the key's generation, or null when Redis failed.</summary>
    private Task<string?>[] QueueReads(ReadOnlySpan<string> keys)
    {
        var reads = new Task<string?>[keys.Length];
        var startReader = false;
        lock (_readLock)
        {
            // Joins only a group that has not been sent yet (a sent group was swapped out under this lock).
            for (var i = 0; i < keys.Length; i++)
            {
                if (!_queuedReads.TryGetValue(keys[i], out var waiter))
                {
                    waiter = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _queuedReads.Add(keys[i], waiter);
                }

                reads[i] = waiter.Task;
            }

            if (!_reading)
            {
                _reading = true;
                startReader = true;
            }
        }

        if (startReader)
        {
            // Queued rather than run here, so that reads asked for in the same breath (a lookup starts several) join this group.
            ThreadPool.UnsafeQueueUserWorkItem(static self => _ = self.ReadQueuedGenerationsAsync(), this, preferLocal: false);
        }

        return reads;
    }

    /// <summary>Sends queued generation reads, one group at a time, until none is left.</summary>
    private async Task ReadQueuedGenerationsAsync()
    {
        while (true)
        {
            Dictionary<string, TaskCompletionSource<string?>> group;
            lock (_readLock)
            {
                if (_queuedReads.Count == 0)
                {
                    _reading = false;
                    return;
                }

                group = _queuedReads;
                _queuedReads = new Dictionary<string, TaskCompletionSource<string?>>(StringComparer.Ordinal);
            }

            await ReadGenerationsAsync(group);
        }
    }

    /// <summary>Reads the generations of a group (creating missing ones) and completes every waiter; never throws.</summary>
    private async Task ReadGenerationsAsync(Dictionary<string, TaskCompletionSource<string?>> group)
    {
        try
        {
            var keys = group.Keys.ToArray();
            var redisKeys = Array.ConvertAll(keys, GenerationKey);
            var values = await MultiGetAsync(redisKeys);
            for (var i = 0; i < keys.Length; i++)
            {
                // A key never read, or expired: created atomically (another node may be creating it at the same time).
                var generation = values[i].IsNull
                    ? (string?)await _redis.GetDatabase().ScriptEvaluateAsync(GenerationScript, [redisKeys[i]], [NewToken(), (long)GenerationLifetime.TotalSeconds])
                    : (string?)values[i];
                group[keys[i]].TrySetResult(generation);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Unknown generations: the callers read from the database.
        }
        catch (Exception e)
        {
            foreach (var waiter in group.Values)
            {
                waiter.TrySetException(e);
            }
        }
        finally
        {
            foreach (var waiter in group.Values)
            {
                waiter.TrySetResult(null);
            }
        }
    }

    /// <summary>GET of many keys: one MGET, or on Redis Cluster (which refuses keys of several slots in one command) one per hash slot, sent together.</summary>
    private async Task<RedisValue[]> MultiGetAsync(RedisKey[] keys)
    {
        var db = _redis.GetDatabase();
        var cluster = IsCluster();
        var slots = cluster ? Array.ConvertAll(keys, _redis.HashSlot) : new int[keys.Length];
        if (slots.All(s => s == slots[0]))
        {
            return await db.StringGetAsync(keys);
        }

        var values = new RedisValue[keys.Length];
        var batch = db.CreateBatch();
        var reads = slots.Select((slot, i) => (slot, i)).GroupBy(x => x.slot, x => x.i).Select(indexes =>
        {
            var positions = indexes.ToArray();
            return (Positions: positions, Read: batch.StringGetAsync(Array.ConvertAll(positions, p => keys[p])));
        }).ToList();
        batch.Execute();
        foreach (var (positions, read) in reads)
        {
            var answer = await read;
            for (var j = 0; j < positions.Length; j++)
            {
                values[positions[j]] = answer[j];
            }
        }

        return values;
    }

    private async Task ReplayPendingAsync()
    {
        if (Interlocked.Exchange(ref _replaying, 1) == 1)
        {
            // The running replay may have taken its keys, or found no master, before this call's reason (a new master,
            // a restored connection, new keys) arose: it looks again when it ends.
            Volatile.Write(ref _replayRequested, 1);
            return;
        }

        Volatile.Write(ref _replayRequested, 0);
        try
        {
            var keys = _pending.Keys.ToArray();
            if (keys.Length == 0)
            {
                return;
            }

            if (!_redis.IsConnected || Volatile.Read(ref _era) is null)
            {
                // No master yet (or its run id is unknown): tried again until one is, so that no invalidation stays
                // pending - and this node off its cache - for want of an event that may never come.
                _ = RetryLaterAsync();
                return;
            }

            var db = _redis.GetDatabase();
            var writes = new List<Task>(keys.Length * 2 + 1);
            var eviction = _nodeId + "\n" + string.Join('\n', keys);
            if (IsCluster())
            {
                // Redis Cluster refuses a transaction over keys of several slots: no change token, and no node takes a
                // lease on cluster (see CheckChangesAsync).
                var batch = db.CreateBatch();
                AddGenerationWrites(batch, keys, writes);
                writes.Add(batch.PublishAsync(_channel, eviction));
                batch.Execute();
                await Task.WhenAll(writes);
            }
            else
            {
                // New generations and the change token in one transaction: a node sees all of them or none, so one that
                // forgets on the new token can never read an old generation afterwards (see the class remarks).
                var transaction = db.CreateTransaction();
                AddGenerationWrites(transaction, keys, writes);
                writes.Add(transaction.StringSetAsync(ChangeKey, NewToken()));
                if (!await transaction.ExecuteAsync())
                {
                    // Not committed (no condition can fail it, but Redis may refuse): kept pending and retried.
                    LogInvalidationDeferred(_logger, _pending.Count);
                    _ = RetryLaterAsync();
                    return;
                }

                await Task.WhenAll(writes);
                await db.PublishAsync(_channel, eviction);
            }

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
            if (Interlocked.Exchange(ref _replayRequested, 0) == 1 && !_pending.IsEmpty)
            {
                _ = RetryLaterAsync();
            }
        }
    }

    private void AddGenerationWrites(IBatch batch, string[] keys, List<Task> writes)
    {
        foreach (var key in keys)
        {
            writes.Add(batch.StringSetAsync(GenerationKey(key), NewToken(), GenerationLifetime));
            writes.Add(batch.KeyDeleteAsync(ValueKey(key)));
        }
    }

    /// <summary>
    /// Reads the run id of the master (each cluster node's, joined, on Redis Cluster) and, when it is not the one the
    /// keys were written on, starts a new era: key names carry the run id, so generations and values a promoted replica
    /// (or a restarted master) holds from before are never read, even when the newest generation tokens were lost with
    /// the old master. A new era, like a restored connection, takes the reconnect path (see <see cref="OnReconnected"/>).
    /// </summary>
    private async Task RefreshEraAsync(bool restored)
    {
        if (Interlocked.Exchange(ref _refreshingEra, 1) == 1)
        {
            if (restored)
            {
                OnReconnected("restored");
            }

            _ = RetryEraLaterAsync(always: true); // the master may have changed after the running read was sent
            return;
        }

        try
        {
            if (!_redis.GetServers().Any(s => s.IsConnected && !s.IsReplica))
            {
                Volatile.Write(ref _era, null);
                _ = RetryEraLaterAsync();
                return;
            }

            // INFO through a script: the client sends INFO itself only in admin mode. On Redis Cluster the keys keep
            // one era (a cluster failover is not detected here).
            var era = IsCluster()
                ? "cluster"
                : ((string?)await _redis.GetDatabase().ScriptEvaluateAsync(RunIdScript))?.Split('\n')
                    .Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("run_id:", StringComparison.Ordinal))?["run_id:".Length..]
                    ?? throw new RedisException("INFO server has no run_id");
            var previous = _lastEra;
            _lastEra = era;
            Volatile.Write(ref _era, era);
            if (previous is not null && previous != era)
            {
                OnReconnected("switched to a new master");
            }
            else if (restored)
            {
                OnReconnected("restored");
            }
        }
        catch (Exception e)
        {
            // Never fails the caller (an event handler): the era stays unknown (no cache) and is read again shortly.
            LogEraUnknown(_logger, e);
            Volatile.Write(ref _era, null);
            _ = RetryEraLaterAsync();
        }
        finally
        {
            Volatile.Write(ref _refreshingEra, 0);
        }
    }

    private async Task RetryEraLaterAsync(bool always = false)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), _stopping.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }

        if (always || Volatile.Read(ref _era) is null)
        {
            await RefreshEraAsync(restored: false);
        }
    }

    /// <summary>The reconnect path: the cache is bypassed for a grace period, everything remembered is forgotten and pending invalidations are replayed.</summary>
    private void OnReconnected(string state)
    {
        LogConnection(_logger, state);
        Interlocked.Exchange(ref _bypassUntilTicks, _time.GetUtcNow().Add(ReconnectGrace).UtcTicks);
        _cluster = null;
        ForgetKnown();
        Evicted?.Invoke(null);
        _ = ReplayPendingAsync();
    }

    private bool IsCluster() => _cluster ??= _redis.GetEndPoints().Any(e => _redis.GetServer(e).ServerType == ServerType.Cluster);

    /// <summary>Replays the pending invalidations in half a second; at most one such retry is waiting at a time.</summary>
    private async Task RetryLaterAsync()
    {
        if (Interlocked.Exchange(ref _retryScheduled, 1) == 1)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), _stopping.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        finally
        {
            Volatile.Write(ref _retryScheduled, 0);
        }

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

    private RedisKey ChangeKey => $"{_options.Prefix}:{Volatile.Read(ref _era)}:changes";

    private RedisKey GenerationKey(string key) => $"{_options.Prefix}:{Volatile.Read(ref _era)}:{{{key}}}:g";

    private RedisKey ValueKey(string key) => $"{_options.Prefix}:{Volatile.Read(ref _era)}:{{{key}}}:v";

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection {State}; local cache cleared")]
    private static partial void LogConnection(ILogger logger, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis master's run id not read; this node reads from the database until it is")]
    private static partial void LogEraUnknown(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unreachable at start-up; this node reads from the database and subscribes to evictions once it is reached")]
    private static partial void LogStartedWithoutRedis(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable: {Count} cache invalidations deferred; this node reads from the database until they are written")]
    private static partial void LogInvalidationDeferred(ILogger logger, int count);
}
