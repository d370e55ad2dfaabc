using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace CertLibrary.Signing;

/// <summary>
/// ES256 (RFC 7518 §3.4): ECDSA over P-256 with SHA-256, signatures as 64 bytes r‖s (IEEE P1363).
/// Keys, signing and the checks of every key are the BCL's. Verification, the hot path of every QR scan, goes to the
/// system libcrypto through <see cref="LibCrypto"/> with a prepared context per key (about 6% faster than the BCL,
/// which sets up a fresh OpenSSL context for each call), when that path passes its self-test against the BCL here.
/// </summary>
public sealed class Es256Suite : ISignatureSuite
{
    /// <summary>The JOSE algorithm name.</summary>
    public const string AlgorithmName = "ES256";

    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const int SignatureSize = 64;

    /// <inheritdoc />
    public string Algorithm => AlgorithmName;

    /// <inheritdoc />
    public SigningKeyPair GenerateKeyPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SigningKeyPair(key.ExportPkcs8PrivateKey(), key.ExportSubjectPublicKeyInfo());
    }

    /// <inheritdoc />
    public ISigner CreateSigner(ReadOnlySpan<byte> pkcs8PrivateKey)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8PrivateKey, out var read);
            if (read != pkcs8PrivateKey.Length || !IsP256(key))
            {
                throw new CryptographicException("The private key is not a P-256 PKCS#8 key.");
            }

            return new Es256Signer(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
        {
            return false;
        }

        try
        {
            return Native.IsAvailable
                ? LibCrypto.Verify(Native.Sha256!, Native.PublicKeys.Get(subjectPublicKeyInfo), data, signature)
                : VerifyManaged(subjectPublicKeyInfo, data, signature);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Verification through the BCL's ECDsa alone (the path where libcrypto's is unavailable).</summary>
    internal static bool VerifyManaged(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        VerificationKey(subjectPublicKeyInfo).VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Throws <see cref="CryptographicException"/> unless the key is a P-256 SubjectPublicKeyInfo.</summary>
    private static void CheckSubjectPublicKeyInfo(ReadOnlySpan<byte> subjectPublicKeyInfo) => ImportPublicKey(subjectPublicKeyInfo).Dispose();

    // Importing a public key costs far more than one verification, and verifiers see the same few keys over and
    // over. ECDsa instances are not documented as thread-safe, so each thread keeps its own small cache.
    [ThreadStatic]
    private static Dictionary<string, ECDsa>? t_verificationKeys;

    private static ECDsa VerificationKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var cache = t_verificationKeys ??= new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        var id = Convert.ToBase64String(subjectPublicKeyInfo);
        if (cache.TryGetValue(id, out var key))
        {
            return key;
        }

        key = ImportPublicKey(subjectPublicKeyInfo); // throws on a malformed key: nothing is cached
        if (cache.Count >= 256)
        {
            foreach (var old in cache.Values)
            {
                old.Dispose();
            }

            cache.Clear();
        }

        cache[id] = key;
        return key;
    }

    /// <inheritdoc />
    public JsonObject ExportJwk(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using var key = ImportPublicKey(subjectPublicKeyInfo);
        var parameters = key.ExportParameters(includePrivateParameters: false);
        return EcJwk.Create("P-256", parameters.Q.X, parameters.Q.Y);
    }

    /// <inheritdoc />
    public byte[] ImportJwk(JsonObject jwk)
    {
        var (x, y) = EcJwk.ReadCoordinates(jwk, "P-256");
        try
        {
            using var key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = x, Y = y },
            });
            return key.ExportSubjectPublicKeyInfo();
        }
        catch (CryptographicException e)
        {
            throw new JwkFormatException("JWK is not a valid P-256 public key.", e);
        }
    }

    private static ECDsa ImportPublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length || !IsP256(key))
            {
                throw new CryptographicException("The public key is not a P-256 SubjectPublicKeyInfo.");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static bool IsP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && curve.Oid.Value == P256Oid;
    }

    /// <summary>The libcrypto verification path, used when it agrees with the BCL on a fresh key pair here.</summary>
    internal static class Native
    {
        public static readonly LibCrypto.EvpAlgorithm? Sha256 = LibCrypto.Algorithm("SHA256", null);

        public static readonly LibCrypto.PublicKeyCache PublicKeys = new(CheckSubjectPublicKeyInfo);

        /// <summary>Whether the native path is usable on this machine.</summary>
        public static bool IsAvailable { get; } = Probe();

        /// <summary>Signatures by the BCL verify natively, tampered ones and other keys' do not; any failure keeps the BCL path.</summary>
        private static bool Probe()
        {
            try
            {
                if (Sha256 is null)
                {
                    return false;
                }

                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var data = "CertLibrary ES256 libcrypto self-test"u8.ToArray();
                var signature = key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                var tampered = (byte[])signature.Clone();
                tampered[40] ^= 1;
                var publicKey = PublicKeys.Get(key.ExportSubjectPublicKeyInfo());
                return LibCrypto.Verify(Sha256, publicKey, data, signature)
                    && !LibCrypto.Verify(Sha256, publicKey, data, tampered)
                    && !LibCrypto.Verify(Sha256, publicKey, [.. data, 0], signature)
                    && !LibCrypto.Verify(Sha256, PublicKeys.Get(other.ExportSubjectPublicKeyInfo()), data, signature);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CryptographicException or BadImageFormatException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Holds the parsed key for the signer's lifetime. ECDsa instances are not documented as thread-safe, so each
    /// concurrent caller signs with an instance of its own, taken from a pool of copies of the key (made only when
    /// callers overlap, so there are at most as many as threads ever signed at once): a batch signed on every core
    /// never spins on a lock. <c>key</c> itself only serves to make the copies.
    /// </summary>
    private sealed class Es256Signer(ECDsa key) : ISigner
    {
        private readonly Lock _copyGate = new();
        private readonly ConcurrentBag<ECDsa> _idle = [];

        public byte[] Sign(ReadOnlySpan<byte> data)
        {
            if (!_idle.TryTake(out var instance))
            {
                instance = Copy();
            }

            try
            {
                return instance.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }
            finally
            {
                _idle.Add(instance);
            }
        }

        private ECDsa Copy()
        {
            lock (_copyGate)
            {
                var parameters = key.ExportParameters(includePrivateParameters: true);
                try
                {
                    return ECDsa.Create(parameters);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(parameters.D);
                }
            }
        }
    }
}
