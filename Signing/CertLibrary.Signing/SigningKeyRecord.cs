namespace CertLibrary.Signing;

/// <summary>
/// A stored signing key: its public half, its private half encrypted by <see cref="IKeyProtector"/>, and its
/// life cycle. Keys are never deleted: retired and revoked keys stay in the trust list.
/// </summary>
public sealed record SigningKeyRecord
{
    /// <summary>Owner code of the platform root key (signs the trust list and status lists).</summary>
    public const string PlatformOwner = "platform";

    /// <summary>Key identifier (<see cref="Signing.KeyId.Compute"/> of <see cref="SubjectPublicKeyInfo"/>).</summary>
    public required string KeyId { get; init; }

    /// <summary>JOSE algorithm, e.g. <c>"ES256"</c> or <c>"SM2"</c>.</summary>
    public required string Algorithm { get; init; }

    /// <summary>Unified social credit code of the owning department, or <see cref="PlatformOwner"/>.</summary>
    public required string OwnerCode { get; init; }

    /// <summary>Public key, SubjectPublicKeyInfo DER.</summary>
    public required byte[] SubjectPublicKeyInfo { get; init; }

    /// <summary>PKCS#8 private key encrypted with <see cref="IKeyProtector"/> under <see cref="KeyId"/>.</summary>
    public required byte[] EncryptedPrivateKey { get; init; }

    /// <summary>When the key was generated.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Time from which signatures by this key are accepted.</summary>
    public required DateTimeOffset NotBefore { get; init; }

    /// <summary>Time after which the key signs nothing (set by rotation); signatures made before stay valid.</summary>
    public DateTimeOffset? RetiredAt { get; init; }

    /// <summary>Time the key was revoked (compromise); verifiers reject its signatures.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Whether the key may sign at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => RetiredAt is null && RevokedAt is null && NotBefore <= now;
}

/// <summary>
/// Persistence of signing keys. Implemented by the database backends; <see cref="InMemorySigningKeyStore"/>
/// serves tests and single-node use. The store only reads and writes; rules live in <see cref="KeyManager"/>.
/// </summary>
public interface ISigningKeyStore
{
    /// <summary>Every key ever stored, any owner.</summary>
    Task<IReadOnlyList<SigningKeyRecord>> ListAllAsync(CancellationToken cancellationToken);

    /// <summary>Every key of one owner.</summary>
    Task<IReadOnlyList<SigningKeyRecord>> ListByOwnerAsync(string ownerCode, CancellationToken cancellationToken);

    /// <summary>Stores a new key.</summary>
    Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken);

    /// <summary>
    /// Sets <see cref="SigningKeyRecord.RetiredAt"/> on every key with this <paramref name="keyId"/> that is not yet
    /// retired; returns how many keys changed.
    /// </summary>
    Task<int> MarkRetiredAsync(string keyId, DateTimeOffset retiredAt, CancellationToken cancellationToken);

    /// <summary>
    /// Sets <see cref="SigningKeyRecord.RevokedAt"/> on every key with this <paramref name="keyId"/> that is not yet
    /// revoked; returns how many keys changed.
    /// </summary>
    Task<int> MarkRevokedAsync(string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken);
}

/// <summary>A thread-safe <see cref="ISigningKeyStore"/> in process memory.</summary>
public sealed class InMemorySigningKeyStore : ISigningKeyStore
{
    private readonly Lock _gate = new();
    private readonly List<SigningKeyRecord> _keys = [];

    /// <inheritdoc />
    public Task<IReadOnlyList<SigningKeyRecord>> ListAllAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<SigningKeyRecord>>([.. _keys]);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SigningKeyRecord>> ListByOwnerAsync(string ownerCode, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<SigningKeyRecord>>([.. _keys.Where(k => k.OwnerCode == ownerCode)]);
        }
    }

    /// <inheritdoc />
    public Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_keys.Any(k => k.KeyId == key.KeyId && k.Algorithm == key.Algorithm && k.OwnerCode == key.OwnerCode))
            {
                throw new InvalidOperationException($"Key \"{key.KeyId}\" is already stored.");
            }

            _keys.Add(key);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<int> MarkRetiredAsync(string keyId, DateTimeOffset retiredAt, CancellationToken cancellationToken) =>
        Task.FromResult(Update(keyId, k => k.RetiredAt is null ? k with { RetiredAt = retiredAt } : null));

    /// <inheritdoc />
    public Task<int> MarkRevokedAsync(string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken) =>
        Task.FromResult(Update(keyId, k => k.RevokedAt is null ? k with { RevokedAt = revokedAt } : null));

    private int Update(string keyId, Func<SigningKeyRecord, SigningKeyRecord?> change)
    {
        var changed = 0;
        lock (_gate)
        {
            for (var i = 0; i < _keys.Count; i++)
            {
                if (_keys[i].KeyId == keyId && change(_keys[i]) is { } updated)
                {
                    _keys[i] = updated;
                    changed++;
                }
            }
        }

        return changed;
    }
}
