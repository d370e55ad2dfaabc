using System.Collections.Concurrent;

namespace CertLibrary.Signing;

/// <summary>
/// Life cycle of signing keys: creates each owner's key per suite on first use, rotates, revokes, and lists every
/// key for the trust list. Reads the store on every call, so a rotation or revocation made on another node is
/// seen at once; only decrypted signers, which never change for a given key, are cached.
/// </summary>
public sealed class KeyManager(
    ISigningKeyStore store,
    IKeyProtector protector,
    SignatureSuites suites,
    TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<(string KeyId, string Algorithm, string Owner), JwsSigner> _signers = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _ownerLocks = new(StringComparer.Ordinal);

    internal SignatureSuites Suites => suites;

    internal TimeProvider TimeProvider => timeProvider;

    /// <summary>
    /// Returns the active signer of <paramref name="ownerCode"/> for every registered suite, in suite order,
    /// creating the keys that do not exist yet.
    /// </summary>
    public async Task<IReadOnlyList<JwsSigner>> GetSignersAsync(string ownerCode, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerCode);
        var keys = await store.ListByOwnerAsync(ownerCode, cancellationToken);
        if (suites.All.Any(s => FindActive(keys, s.Algorithm) is null))
        {
            var gate = _ownerLocks.GetOrAdd(ownerCode, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(cancellationToken);
            try
            {
                keys = await store.ListByOwnerAsync(ownerCode, cancellationToken);
                var created = new List<SigningKeyRecord>();
                foreach (var suite in suites.All.Where(s => FindActive(keys, s.Algorithm) is null))
                {
                    created.Add(await CreateKeyAsync(suite, ownerCode, cancellationToken));
                }

                keys = [.. keys, .. created];
            }
            finally
            {
                gate.Release();
            }
        }

        return [.. suites.All.Select(s => GetSigner(FindActive(keys, s.Algorithm)!))];
    }

    /// <summary>
    /// Creates a new key per suite for <paramref name="ownerCode"/> and retires the previously active ones, which
    /// stay verifiable. Returns the new keys.
    /// </summary>
    public async Task<IReadOnlyList<SigningKeyRecord>> RotateAsync(string ownerCode, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerCode);
        var gate = _ownerLocks.GetOrAdd(ownerCode, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var previous = await store.ListByOwnerAsync(ownerCode, cancellationToken);
            var created = new List<SigningKeyRecord>();
            foreach (var suite in suites.All)
            {
                created.Add(await CreateKeyAsync(suite, ownerCode, cancellationToken));
            }

            // New keys exist before old ones retire, so there is never a moment without an active key.
            var now = timeProvider.GetUtcNow();
            foreach (var old in previous.Where(k => k.RetiredAt is null))
            {
                await store.MarkRetiredAsync(old.KeyId, now, cancellationToken);
            }

            return created;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Revokes every key with this <paramref name="keyId"/>; its owner gets a new key on next use.
    /// Returns <see langword="false"/> when no unrevoked key has that identifier.
    /// </summary>
    public async Task<bool> RevokeAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var changed = await store.MarkRevokedAsync(keyId, timeProvider.GetUtcNow(), cancellationToken);
        foreach (var cached in _signers.Keys.Where(k => k.KeyId == keyId))
        {
            _signers.TryRemove(cached, out _);
        }

        return changed > 0;
    }

    /// <summary>Every key ever created, any owner (public data plus the encrypted private key), for the trust list.</summary>
    public Task<IReadOnlyList<SigningKeyRecord>> GetAllKeysAsync(CancellationToken cancellationToken) =>
        store.ListAllAsync(cancellationToken);

    private SigningKeyRecord? FindActive(IReadOnlyList<SigningKeyRecord> keys, string algorithm)
    {
        var now = timeProvider.GetUtcNow();
        return keys
            .Where(k => k.Algorithm == algorithm && k.IsActive(now))
            .OrderByDescending(k => k.CreatedAt)
            .ThenByDescending(k => k.NotBefore)
            .FirstOrDefault();
    }

    private async Task<SigningKeyRecord> CreateKeyAsync(ISignatureSuite suite, string ownerCode, CancellationToken cancellationToken)
    {
        var pair = suite.GenerateKeyPair();
        var kid = KeyId.Compute(pair.SubjectPublicKeyInfo);
        var now = timeProvider.GetUtcNow();
        var record = new SigningKeyRecord
        {
            KeyId = kid,
            Algorithm = suite.Algorithm,
            OwnerCode = ownerCode,
            SubjectPublicKeyInfo = pair.SubjectPublicKeyInfo,
            EncryptedPrivateKey = protector.Protect(pair.Pkcs8PrivateKey, kid),
            CreatedAt = now,
            NotBefore = now,
        };
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(pair.Pkcs8PrivateKey);
        await store.AddAsync(record, cancellationToken);
        return record;
    }

    private JwsSigner GetSigner(SigningKeyRecord key) =>
        _signers.GetOrAdd((key.KeyId, key.Algorithm, key.OwnerCode), _ =>
        {
            var pkcs8 = protector.Unprotect(key.EncryptedPrivateKey, key.KeyId);
            try
            {
                return new JwsSigner(key.Algorithm, key.KeyId, suites.Get(key.Algorithm).CreateSigner(pkcs8));
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(pkcs8);
            }
        });
}
