using System.Text.Json;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using Microsoft.Extensions.Caching.Memory;

namespace CertLibrary.CertStore.Caching;

/// <summary>
/// Caching decorator (L1 in-process, L2 through the coordinator) for reads by id and by holder. Entries are
/// served only while their generation is current, and writes replace generations after commit and before
/// returning, so a status change is visible on every node as soon as the call that made it returns.
/// </summary>
internal sealed class CachingCertificateStore : ICertificateStore, IDisposable
{
    private static readonly TimeSpan L1Lifetime = TimeSpan.FromMinutes(5);
    private readonly ICertificateStore _inner;
    private readonly ICacheCoordinator _coordinator;
    private readonly MemoryCache _l1 = new(new MemoryCacheOptions { SizeLimit = 200_000 });
    private readonly CacheMetrics _metrics;

    public CachingCertificateStore(ICertificateStore inner, ICacheCoordinator coordinator, CacheMetrics metrics)
    {
        _inner = inner;
        _coordinator = coordinator;
        _metrics = metrics;
        _coordinator.Evicted += OnEvicted;
    }

    public static string IdKey(string id) => "c:" + id;

    public static string HolderKey(string holderKey) => "h:" + holderKey;

    public Task<StoredCertificate?> FindAsync(string id, CancellationToken cancellationToken) =>
        GetOrLoadAsync(IdKey(id), ct => _inner.FindAsync(id, ct), cancellationToken);

    public async Task<IReadOnlyList<StoredCertificate>> ListByHolderAsync(string holderKey, CancellationToken cancellationToken) =>
        (await GetOrLoadAsync<IReadOnlyList<StoredCertificate>>(HolderKey(holderKey), async ct => await _inner.ListByHolderAsync(holderKey, ct), cancellationToken))!;

    public async Task<ICertificateWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken) =>
        new InvalidatingTransaction(await _inner.BeginWriteAsync(cancellationToken), this);

    public Task<Department?> FindDepartmentAsync(string code, CancellationToken cancellationToken) => _inner.FindDepartmentAsync(code, cancellationToken);

    public Task<IReadOnlyList<Department>> ListDepartmentsAsync(CancellationToken cancellationToken) => _inner.ListDepartmentsAsync(cancellationToken);

    public Task<bool> AddDepartmentAsync(Department department, CancellationToken cancellationToken) => _inner.AddDepartmentAsync(department, cancellationToken);

    public async Task<CertificateType?> FindTypeAsync(string code, CancellationToken cancellationToken) =>
        await GetOrLoadAsync("t:" + code, ct => _inner.FindTypeAsync(code, ct), cancellationToken);

    public Task<IReadOnlyList<CertificateType>> ListTypesAsync(CancellationToken cancellationToken) => _inner.ListTypesAsync(cancellationToken);

    public async Task<bool> AddTypeAsync(CertificateType type, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var added = await _inner.AddTypeAsync(type, now, cancellationToken);
        await InvalidateAsync(["t:" + type.Code], cancellationToken);
        return added;
    }

    public Task<long> CountCertificatesAsync(CancellationToken cancellationToken) => _inner.CountCertificatesAsync(cancellationToken);

    public void Dispose()
    {
        _coordinator.Evicted -= OnEvicted;
        _l1.Dispose();
    }

    private async Task<T?> GetOrLoadAsync<T>(string key, Func<CancellationToken, Task<T?>> load, CancellationToken cancellationToken)
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
        if (bytes is not null && JsonSerializer.Deserialize<T>(bytes, CertificateManager.JsonOptions) is { } cached)
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
            await _coordinator.SetAsync(key, generation, JsonSerializer.SerializeToUtf8Bytes(value, CertificateManager.JsonOptions), cancellationToken);
        }

        return value;
    }

    private async Task InvalidateAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            _l1.Remove(key);
        }

        await _coordinator.InvalidateAsync(keys, cancellationToken);
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

    private sealed class InvalidatingTransaction(ICertificateWriteTransaction inner, CachingCertificateStore owner) : ICertificateWriteTransaction
    {
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

        public long NextLogIndex => inner.NextLogIndex;

        public Task<IdempotencyRecord?> FindIdempotencyAsync(string scope, string key, CancellationToken cancellationToken) =>
            inner.FindIdempotencyAsync(scope, key, cancellationToken);

        public Task SaveIdempotencyAsync(string scope, string key, IdempotencyRecord record, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.SaveIdempotencyAsync(scope, key, record, now, cancellationToken);

        public Task<StatusListRef> AllocateStatusSlotAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.AllocateStatusSlotAsync(now, cancellationToken);

        public Task<StoredCertificate?> FindForUpdateAsync(string id, CancellationToken cancellationToken) => inner.FindForUpdateAsync(id, cancellationToken);

        public Task InsertAsync(StoredCertificate certificate, CancellationToken cancellationToken)
        {
            _keys.Add(IdKey(certificate.Id));
            _keys.Add(HolderKey(certificate.HolderKey));
            return inner.InsertAsync(certificate, cancellationToken);
        }

        public Task UpdateStatusAsync(StoredCertificate certificate, string status, string? reason, string? supersededBy, DateTimeOffset now, CancellationToken cancellationToken)
        {
            _keys.Add(IdKey(certificate.Id));
            _keys.Add(HolderKey(certificate.HolderKey));
            return inner.UpdateStatusAsync(certificate, status, reason, supersededBy, now, cancellationToken);
        }

        public Task<long> AppendLogAsync(byte[] leafInput, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.AppendLogAsync(leafInput, now, cancellationToken);

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await inner.CommitAsync(cancellationToken);
            if (_keys.Count > 0)
            {
                await owner.InvalidateAsync(_keys, CancellationToken.None);
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
