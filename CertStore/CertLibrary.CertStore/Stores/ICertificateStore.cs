using CertLibrary.CertStore.Model;

namespace CertLibrary.CertStore.Stores;

/// <summary>Reads and writes certificates, certificate types and departments. Business rules live in <c>CertificateManager</c>.</summary>
public interface ICertificateStore
{
    Task<StoredCertificate?> FindAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredCertificate>> ListByHolderAsync(string holderKey, CancellationToken cancellationToken);

    /// <summary>Starts the one write transaction in which certificates, their log entries, status slots and the idempotency record are written together.</summary>
    Task<ICertificateWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken);

    Task<Department?> FindDepartmentAsync(string code, CancellationToken cancellationToken);

    Task<IReadOnlyList<Department>> ListDepartmentsAsync(CancellationToken cancellationToken);

    /// <summary>Adds a department; false when the code exists already.</summary>
    Task<bool> AddDepartmentAsync(Department department, CancellationToken cancellationToken);

    Task<CertificateType?> FindTypeAsync(string code, CancellationToken cancellationToken);

    Task<IReadOnlyList<CertificateType>> ListTypesAsync(CancellationToken cancellationToken);

    /// <summary>Adds a certificate type; false when the code exists already.</summary>
    Task<bool> AddTypeAsync(CertificateType type, DateTimeOffset now, CancellationToken cancellationToken);

    Task<long> CountCertificatesAsync(CancellationToken cancellationToken);
}

/// <summary>A stored response to a write with an <c>Idempotency-Key</c>.</summary>
public sealed record IdempotencyRecord(string RequestHash, int StatusCode, string ResponseJson);

/// <summary>One write transaction. Dispose without <see cref="CommitAsync"/> rolls everything back.</summary>
public interface ICertificateWriteTransaction : IAsyncDisposable
{
    /// <summary>The index the next appended log entry gets (the log is locked for this transaction).</summary>
    long NextLogIndex { get; }

    Task<IdempotencyRecord?> FindIdempotencyAsync(string scope, string key, CancellationToken cancellationToken);

    Task SaveIdempotencyAsync(string scope, string key, IdempotencyRecord record, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Takes a random free slot in the current status list (opening a new list when it is half full).</summary>
    Task<StatusListRef> AllocateStatusSlotAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Takes <paramref name="count"/> random free slots, as <paramref name="count"/> calls of <see cref="AllocateStatusSlotAsync"/>
    /// would (filling the current list to half its capacity, then opening the next), in as few round trips as the store allows.
    /// </summary>
    Task<IReadOnlyList<StatusListRef>> AllocateStatusSlotsAsync(int count, DateTimeOffset now, CancellationToken cancellationToken);

    Task<StoredCertificate?> FindForUpdateAsync(string id, CancellationToken cancellationToken);

    Task InsertAsync(StoredCertificate certificate, CancellationToken cancellationToken);

    /// <summary>Inserts <paramref name="certificates"/> (one statement where the store allows it).</summary>
    Task InsertAsync(IReadOnlyList<StoredCertificate> certificates, CancellationToken cancellationToken);

    /// <summary>Sets the status with its reason code and sealed free text (both null when reinstated); clears any legacy clear-text reason.</summary>
    Task UpdateStatusAsync(
        StoredCertificate certificate, string status, string? reasonCode, byte[]? sealedReason, string? supersededBy, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Appends a transparency-log entry (leaf input bytes); returns its index.</summary>
    Task<long> AppendLogAsync(byte[] leafInput, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Appends consecutive transparency-log entries in order; returns the index of the first.</summary>
    Task<long> AppendLogAsync(IReadOnlyList<byte[]> leafInputs, DateTimeOffset now, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}
