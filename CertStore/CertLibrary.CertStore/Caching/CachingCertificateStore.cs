using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;

namespace CertLibrary.CertStore.Caching;

/// <summary>
/// Caching decorator (L1 in-process, L2 through the coordinator) for reads by id and by holder. Entries are
/// served only while their generation is current, and writes replace generations after commit and before
/// returning, so a status change is visible on every node as soon as the call that made it returns.
/// </summary>
internal sealed class CachingCertificateStore(ICertificateStore inner, TwoLevelCache cache) : ICertificateStore
{
    /// <summary>Key of the list of every certificate type (changes when a type is added).</summary>
    public const string TypesKey = "types";

    public static string IdKey(string id) => "c:" + id;

    public static string HolderKey(string holderKey) => "h:" + holderKey;

    public Task<StoredCertificate?> FindAsync(string id, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(IdKey(id), ct => inner.FindAsync(id, ct), cancellationToken);

    public async Task<IReadOnlyList<StoredCertificate>> ListByHolderAsync(string holderKey, CancellationToken cancellationToken) =>
        (await cache.GetOrLoadAsync<IReadOnlyList<StoredCertificate>>(HolderKey(holderKey), async ct => await inner.ListByHolderAsync(holderKey, ct), cancellationToken))!;

    public async Task<ICertificateWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken) =>
        new InvalidatingTransaction(await inner.BeginWriteAsync(cancellationToken), cache);

    public Task<Department?> FindDepartmentAsync(string code, CancellationToken cancellationToken) => inner.FindDepartmentAsync(code, cancellationToken);

    public Task<IReadOnlyList<Department>> ListDepartmentsAsync(CancellationToken cancellationToken) => inner.ListDepartmentsAsync(cancellationToken);

    public Task<bool> AddDepartmentAsync(Department department, CancellationToken cancellationToken) => inner.AddDepartmentAsync(department, cancellationToken);

    public async Task<CertificateType?> FindTypeAsync(string code, CancellationToken cancellationToken) =>
        await cache.GetOrLoadAsync("t:" + code, ct => inner.FindTypeAsync(code, ct), cancellationToken);

    public async Task<IReadOnlyList<CertificateType>> ListTypesAsync(CancellationToken cancellationToken) =>
        (await cache.GetOrLoadAsync<IReadOnlyList<CertificateType>>(TypesKey, async ct => await inner.ListTypesAsync(ct), cancellationToken))!;

    public async Task<bool> AddTypeAsync(CertificateType type, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var added = await inner.AddTypeAsync(type, now, cancellationToken);
        await cache.InvalidateAsync(["t:" + type.Code, TypesKey], cancellationToken);
        return added;
    }

    public Task<long> CountCertificatesAsync(CancellationToken cancellationToken) => inner.CountCertificatesAsync(cancellationToken);

    private sealed class InvalidatingTransaction(ICertificateWriteTransaction inner, TwoLevelCache cache) : ICertificateWriteTransaction
    {
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

        public long NextLogIndex => inner.NextLogIndex;

        public Task<IdempotencyRecord?> FindIdempotencyAsync(string scope, string key, CancellationToken cancellationToken) =>
            inner.FindIdempotencyAsync(scope, key, cancellationToken);

        public Task SaveIdempotencyAsync(string scope, string key, IdempotencyRecord record, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.SaveIdempotencyAsync(scope, key, record, now, cancellationToken);

        public Task<StatusListRef> AllocateStatusSlotAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.AllocateStatusSlotAsync(now, cancellationToken);

        public Task<IReadOnlyList<StatusListRef>> AllocateStatusSlotsAsync(int count, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.AllocateStatusSlotsAsync(count, now, cancellationToken);

        public Task<StoredCertificate?> FindForUpdateAsync(string id, CancellationToken cancellationToken) => inner.FindForUpdateAsync(id, cancellationToken);

        public Task InsertAsync(StoredCertificate certificate, CancellationToken cancellationToken)
        {
            _keys.Add(IdKey(certificate.Id));
            _keys.Add(HolderKey(certificate.HolderKey));
            return inner.InsertAsync(certificate, cancellationToken);
        }

        public Task InsertAsync(IReadOnlyList<StoredCertificate> certificates, CancellationToken cancellationToken)
        {
            foreach (var certificate in certificates)
            {
                _keys.Add(IdKey(certificate.Id));
                _keys.Add(HolderKey(certificate.HolderKey));
            }

            return inner.InsertAsync(certificates, cancellationToken);
        }

        public Task UpdateStatusAsync(
            StoredCertificate certificate, string status, string? reasonCode, byte[]? sealedReason, string? supersededBy, DateTimeOffset now, CancellationToken cancellationToken)
        {
            _keys.Add(IdKey(certificate.Id));
            _keys.Add(HolderKey(certificate.HolderKey));
            return inner.UpdateStatusAsync(certificate, status, reasonCode, sealedReason, supersededBy, now, cancellationToken);
        }

        public Task<long> AppendLogAsync(byte[] leafInput, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.AppendLogAsync(leafInput, now, cancellationToken);

        public Task<long> AppendLogAsync(IReadOnlyList<byte[]> leafInputs, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.AppendLogAsync(leafInputs, now, cancellationToken);

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await inner.CommitAsync(cancellationToken);
            if (_keys.Count > 0)
            {
                await cache.InvalidateAsync(_keys, CancellationToken.None);
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
