using CertLibrary.CertStore.Caching;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Signing;
using CertLibrary.Verification;
using Microsoft.Extensions.Caching.Memory;

namespace CertLibrary.CertStore.OnlineVerification;

/// <summary>
/// Verifiers over the live store: every key the platform ever had and each certificate's current status. Serves many
/// verifications per second, so each one reads the cache generations of the key list and of its certificate together
/// (<see cref="ICacheCoordinator.GetGenerationsAsync"/>: at most one round trip, none while the Redis coordinator's
/// generation lease holds) and reuses the key resolver and the certificate's
/// status only while those generations are current. A key or status change replaces its generation on every node
/// before the call that made it returns, so a revocation is reported by every verification that starts afterwards.
/// Signatures are always verified; nothing about a JWS is remembered.
/// </summary>
public sealed class LiveVerification : IDisposable
{
    private static readonly TimeSpan StatusLifetime = TimeSpan.FromMinutes(5);
    private readonly ICacheCoordinator _coordinator;
    private readonly KeyManager _keys;
    private readonly SignatureSuites _suites;
    private readonly ICertificateStore _store;

    // Generations are only meaningful when the stores are the caching decorators that replace them on every change.
    private readonly bool _generationsTracked;
    private readonly MemoryCache _statuses = new(new MemoryCacheOptions { SizeLimit = 100_000 });
    private KeySnapshot? _resolver;

    /// <summary>Creates the reader over the registered stores and cache coordinator.</summary>
    public LiveVerification(ICacheCoordinator coordinator, KeyManager keys, SignatureSuites suites, ICertificateStore store, ISigningKeyStore keyStore)
    {
        _coordinator = coordinator;
        _keys = keys;
        _suites = suites;
        _store = store;
        _generationsTracked = store is CachingCertificateStore && keyStore is CachingSigningKeyStore;
    }

    /// <summary>
    /// A verifier with the current keys and live status. Give the id of the certificate the input claims to be (for
    /// an offline QR, <see cref="OfflineQr.TryReadUnverifiedId"/>) so that its status generation is read in the same
    /// round trip as the key list; the status itself is read only when the signature has verified.
    /// </summary>
    public async Task<CertificateVerifier> CreateVerifierAsync(string? certificateId, CancellationToken cancellationToken)
    {
        if (!_generationsTracked)
        {
            return new CertificateVerifier(await LoadResolverAsync(cancellationToken), new StatusSource(this, null, null));
        }

        var expected = certificateId is not null && Identifiers.CertificateId.TryParse(certificateId, out _, out _) ? certificateId : null;
        var generations = await _coordinator.GetGenerationsAsync(
            expected is null ? [CachingSigningKeyStore.Key] : [CachingSigningKeyStore.Key, CachingCertificateStore.IdKey(expected)], cancellationToken);
        var keysGeneration = generations[0];
        IJwsKeyResolver resolver;
        if (keysGeneration is not null && Volatile.Read(ref _resolver) is { } snapshot && snapshot.Generation == keysGeneration)
        {
            resolver = snapshot.Resolver;
        }
        else
        {
            // Kept under the generation read before the load: a key change committed meanwhile has moved it on.
            resolver = await LoadResolverAsync(cancellationToken);
            if (keysGeneration is not null)
            {
                Volatile.Write(ref _resolver, new KeySnapshot(keysGeneration, resolver));
            }
        }

        return new CertificateVerifier(resolver, new StatusSource(this, expected, expected is null ? null : generations[1]));
    }

    /// <inheritdoc />
    public void Dispose() => _statuses.Dispose();

    private async Task<StaticJwsKeyResolver> LoadResolverAsync(CancellationToken cancellationToken)
    {
        var keys = await _keys.GetAllKeysAsync(cancellationToken);
        return new StaticJwsKeyResolver(keys.Where(k => _suites.TryGet(k.Algorithm, out _)).Select(k =>
            new JwsVerificationKey(_suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo)
            {
                OwnerCode = k.OwnerCode,
                NotBefore = k.NotBefore,
                RetiredAt = k.RetiredAt,
                RevokedAt = k.RevokedAt,
            }));
    }

    private async ValueTask<CertificateStatusEntry?> ReadStatusAsync(string id, string? generation, CancellationToken cancellationToken)
    {
        if (generation is not null && _statuses.TryGetValue(id, out CertificateStatusEntry? cached) && cached!.Generation == generation)
        {
            return cached;
        }

        var row = await _store.FindAsync(id, cancellationToken);
        if (row is null)
        {
            return null;
        }

        // Kept under the generation read before the load (see above); an absent certificate is not remembered.
        var entry = new CertificateStatusEntry(generation ?? "", row.Status, row.PublicReasonCode(), row.StatusListId, row.StatusIndex);
        if (generation is not null)
        {
            _statuses.Set(id, entry, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = StatusLifetime });
        }

        return entry;
    }

    /// <summary>The reason entry of a verify answer: the public code (e.g. <c>reasonCode: holderRequest</c>), or none.</summary>
    private static string? ReasonNote(string? reasonCode) => reasonCode is null ? null : "reasonCode: " + reasonCode;

    private sealed record KeySnapshot(string Generation, IJwsKeyResolver Resolver);

    // ReasonCode: only the public code; a verify answer never carries the sealed free text.
    private sealed record CertificateStatusEntry(string Generation, string Status, string? ReasonCode, string StatusListId, int StatusIndex);

    /// <summary>Status of the certificate; the one whose generation was read with the key list is served from memory while current.</summary>
    private sealed class StatusSource(LiveVerification owner, string? expectedId, string? generation) : ICertificateStatusSource
    {
        public async ValueTask<(CertificateState State, string? Note)> GetStateAsync(string id, string listId, int index, CancellationToken cancellationToken)
        {
            // The expected id was checked when the verifier was made.
            var expected = string.Equals(id, expectedId, StringComparison.Ordinal);
            if (!expected && !Identifiers.CertificateId.TryParse(id, out _, out _))
            {
                return (CertificateState.Unknown, null);
            }

            var entry = await owner.ReadStatusAsync(id, expected ? generation : null, cancellationToken);
            if (entry is null || entry.StatusListId != listId || entry.StatusIndex != index)
            {
                return (CertificateState.Unknown, null);
            }

            return entry.Status switch
            {
                CertificateStatus.Revoked => (CertificateState.Revoked, ReasonNote(entry.ReasonCode)),
                CertificateStatus.Suspended => (CertificateState.Suspended, ReasonNote(entry.ReasonCode)),
                _ => (CertificateState.Valid, null),
            };
        }
    }
}
