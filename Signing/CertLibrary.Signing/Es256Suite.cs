using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace CertLibrary.Signing;

/// <summary>
/// ES256 (RFC 7518 §3.4): ECDSA over P-256 with SHA-256, signatures as 64 bytes r‖s (IEEE P1363).
/// Uses only the BCL.
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
            return VerificationKey(subjectPublicKeyInfo).VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

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
