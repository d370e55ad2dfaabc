using CertLibrary.Signing;

namespace CertLibrary.CertStore.Caching;

/// <summary>
/// Keeps the list of every signing key in process memory for verification, which reads it on every request. The list
/// is served only while its generation is current; adding, retiring or revoking a key replaces the generation on
/// every node once its transaction has committed, so a revoked key stops verifying everywhere as soon as the revoke
/// call returns. The list holds sealed private keys, so it is never written to the shared (Redis) level.
/// </summary>
internal sealed class CachingSigningKeyStore(ISigningKeyStore inner, ICacheCoordinator coordinator) : ISigningKeyStore
{
    internal const string Key = "signing-keys";
    private Snapshot? _snapshot;

    public async Task<IReadOnlyList<SigningKeyRecord>> ListAllAsync(CancellationToken cancellationToken)
    {
        var generation = await coordinator.GetGenerationAsync(Key, cancellationToken);
        if (generation is null)
        {
            return await inner.ListAllAsync(cancellationToken);
        }

        if (Volatile.Read(ref _snapshot) is { } snapshot && snapshot.Generation == generation)
        {
            return snapshot.Keys;
        }

        // Kept under the generation read before the load: a change committed meanwhile has moved the generation on,
        // so this list is never served after it.
        var keys = await inner.ListAllAsync(cancellationToken);
        Volatile.Write(ref _snapshot, new Snapshot(generation, keys));
        return keys;
    }

    public Task<IReadOnlyList<SigningKeyRecord>> ListByOwnerAsync(string ownerCode, CancellationToken cancellationToken) =>
        inner.ListByOwnerAsync(ownerCode, cancellationToken);

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
    {
        try
        {
            await inner.AddAsync(key, cancellationToken);
        }
        finally
        {
            await InvalidateAsync();
        }
    }

    public async Task<int> MarkRetiredAsync(string keyId, DateTimeOffset retiredAt, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.MarkRetiredAsync(keyId, retiredAt, cancellationToken);
        }
        finally
        {
            await InvalidateAsync();
        }
    }

    public async Task<int> MarkRevokedAsync(string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.MarkRevokedAsync(keyId, revokedAt, cancellationToken);
        }
        finally
        {
            await InvalidateAsync();
        }
    }

    // Also after a failed write (it may have committed before the failure surfaced); not cancellable, so a cancelled
    // caller cannot leave other nodes with a list that misses its change.
    private async Task InvalidateAsync()
    {
        Volatile.Write(ref _snapshot, null);
        await coordinator.InvalidateAsync([Key], CancellationToken.None);
    }

    private sealed record Snapshot(string Generation, IReadOnlyList<SigningKeyRecord> Keys);
}
