namespace CertLibrary.Signing;

/// <summary>Finds the public keys that may have made a signature.</summary>
public interface IJwsKeyResolver
{
    /// <summary>
    /// Returns every candidate key with this <c>kid</c> (several keys may share one), or an empty list when the
    /// <c>kid</c> is unknown. Verification tries each candidate whose algorithm matches the header.
    /// </summary>
    IReadOnlyList<JwsVerificationKey> Resolve(string keyId);
}

/// <summary>A public key a JWS may be verified with, with its life cycle so callers can reject revoked keys.</summary>
public sealed record JwsVerificationKey
{
    /// <summary>Creates a verification key.</summary>
    /// <param name="suite">The suite of the key; its algorithm must equal the header <c>alg</c>.</param>
    /// <param name="keyId">The <c>kid</c>.</param>
    /// <param name="subjectPublicKeyInfo">The public key, SubjectPublicKeyInfo DER.</param>
    public JwsVerificationKey(ISignatureSuite suite, string keyId, byte[] subjectPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(suite);
        Suite = suite;
        KeyId = keyId;
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
    }

    /// <summary>The suite that verifies with this key.</summary>
    public ISignatureSuite Suite { get; }

    /// <summary>The JOSE <c>alg</c> of this key.</summary>
    public string Algorithm => Suite.Algorithm;

    /// <summary>The <c>kid</c>.</summary>
    public string KeyId { get; }

    /// <summary>The public key, SubjectPublicKeyInfo DER.</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>Department credit code owning the key, or <c>"platform"</c>; <see langword="null"/> when unknown.</summary>
    public string? OwnerCode { get; init; }

    /// <summary>Time from which the key signs.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Time after which the key signs nothing; signatures made before stay valid.</summary>
    public DateTimeOffset? RetiredAt { get; init; }

    /// <summary>Time the key was revoked; a verifier rejects its signatures.</summary>
    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>A fixed set of verification keys (e.g. pinned root keys, or a department's own keys).</summary>
public sealed class StaticJwsKeyResolver : IJwsKeyResolver
{
    // Built once: verifiers resolve a kid on every request, so a lookup must not allocate.
    private readonly Dictionary<string, IReadOnlyList<JwsVerificationKey>> _keys;

    /// <summary>Creates a resolver over <paramref name="keys"/>.</summary>
    public StaticJwsKeyResolver(IEnumerable<JwsVerificationKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys.GroupBy(k => k.KeyId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<JwsVerificationKey>)g.ToArray().AsReadOnly(), StringComparer.Ordinal);
    }

    /// <summary>Every key of this resolver.</summary>
    public IEnumerable<JwsVerificationKey> Keys => _keys.Values.SelectMany(g => g);

    /// <inheritdoc />
    public IReadOnlyList<JwsVerificationKey> Resolve(string keyId) => _keys.TryGetValue(keyId, out var found) ? found : [];
}
