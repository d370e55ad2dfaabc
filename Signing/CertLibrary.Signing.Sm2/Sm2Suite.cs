using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace CertLibrary.Signing.Sm2;

/// <summary>
/// SM2 (GM/T 0003) signatures with the SM3 digest on curve sm2p256v1, user ID <c>1234567812345678</c>, signatures as
/// 64 bytes r‖s. Keys are standard SubjectPublicKeyInfo / PKCS#8 DER (id-ecPublicKey with curve OID
/// 1.2.156.10197.1.301), as OpenSSL writes them.
/// </summary>
public sealed class Sm2Suite : ISignatureSuite
{
    /// <summary>The JOSE algorithm name.</summary>
    public const string AlgorithmName = "SM2";

    /// <summary>The signer identity (GM/T 0009 default user ID).</summary>
    public const string DefaultUserId = "1234567812345678";

    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string Sm2CurveOid = "1.2.156.10197.1.301";
    private const int FieldSize = 32;
    private const int SignatureSize = 2 * FieldSize;

    private static readonly byte[] UserId = System.Text.Encoding.ASCII.GetBytes(DefaultUserId);
    private static readonly X9ECParameters Curve = GMNamedCurves.GetByName("sm2p256v1");
    private static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H, Curve.GetSeed());

    /// <inheritdoc />
    public string Algorithm => AlgorithmName;

    /// <inheritdoc />
    public SigningKeyPair GenerateKeyPair()
    {
        // d uniformly in [1, n-2] (GM/T 0003.1 §6.1: 1 + d must be invertible mod n).
        var upper = Domain.N.Subtract(BigInteger.Two);
        BigInteger d;
        Span<byte> random = stackalloc byte[FieldSize];
        do
        {
            RandomNumberGenerator.Fill(random);
            d = new BigInteger(1, random);
        }
        while (d.SignValue == 0 || d.CompareTo(upper) > 0);

        var q = Domain.G.Multiply(d).Normalize();
        var publicPoint = q.GetEncoded(false);
        var scalar = ToFixed(d);
        try
        {
            return new SigningKeyPair(WritePkcs8(scalar, publicPoint), WriteSpki(publicPoint));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <inheritdoc />
    public ISigner CreateSigner(ReadOnlySpan<byte> pkcs8PrivateKey)
    {
        if (!LibCryptoSm2.IsAvailable)
        {
            return CreateManagedSigner(pkcs8PrivateKey);
        }

        _ = ReadPkcs8(pkcs8PrivateKey); // same validation and errors as the managed path
        return LibCryptoSm2.CreateSigner(pkcs8PrivateKey);
    }

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (!LibCryptoSm2.IsAvailable)
        {
            return VerifyManaged(subjectPublicKeyInfo, data, signature);
        }

        if (signature.Length != SignatureSize)
        {
            return false;
        }

        try
        {
            return LibCryptoSm2.Verify(subjectPublicKeyInfo, data, signature);
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Throws <see cref="CryptographicException"/> unless the key is a valid SM2 SubjectPublicKeyInfo.</summary>
    internal static void CheckSubjectPublicKeyInfo(ReadOnlySpan<byte> subjectPublicKeyInfo) => _ = ReadSpki(subjectPublicKeyInfo);

    /// <summary>The BouncyCastle signer, used where libcrypto 3 with SM2 is unavailable.</summary>
    internal static ISigner CreateManagedSigner(ReadOnlySpan<byte> pkcs8PrivateKey)
    {
        var d = ReadPkcs8(pkcs8PrivateKey);
        return new Sm2Signer(new ECPrivateKeyParameters(d, Domain));
    }

    /// <summary>The BouncyCastle verification, used where libcrypto 3 with SM2 is unavailable.</summary>
    internal static bool VerifyManaged(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
        {
            return false;
        }

        try
        {
            var q = ReadSpki(subjectPublicKeyInfo);
            var signer = new SM2Signer(PlainDsaEncoding.Instance, new SM3Digest());
            signer.Init(false, new ParametersWithID(new ECPublicKeyParameters(q, Domain), UserId));
            signer.BlockUpdate(data);
            return signer.VerifySignature(signature.ToArray());
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidOperationException or FormatException or AsnContentException or Org.BouncyCastle.Crypto.CryptoException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public JsonObject ExportJwk(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var q = ReadSpki(subjectPublicKeyInfo);
        return EcJwk.Create(AlgorithmName, ToFixed(q.AffineXCoord.ToBigInteger()), ToFixed(q.AffineYCoord.ToBigInteger()));
    }

    /// <inheritdoc />
    public byte[] ImportJwk(JsonObject jwk)
    {
        var (x, y) = EcJwk.ReadCoordinates(jwk, AlgorithmName);
        var encoded = new byte[1 + SignatureSize];
        encoded[0] = 0x04;
        x.CopyTo(encoded, 1);
        y.CopyTo(encoded, 1 + FieldSize);
        try
        {
            _ = DecodePoint(encoded);
        }
        catch (CryptographicException e)
        {
            throw new JwkFormatException("JWK is not a valid SM2 public key.", e);
        }

        return WriteSpki(encoded);
    }

    private static byte[] WriteSpki(byte[] publicPoint)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteAlgorithmIdentifier(writer);
            writer.WriteBitString(publicPoint);
        }

        return writer.Encode();
    }

    private static byte[] WritePkcs8(byte[] scalar, byte[] publicPoint)
    {
        var inner = new AsnWriter(AsnEncodingRules.DER);
        using (inner.PushSequence())
        {
            inner.WriteInteger(1);
            inner.WriteOctetString(scalar);
            using (inner.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
            {
                inner.WriteBitString(publicPoint);
            }
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            WriteAlgorithmIdentifier(writer);
            writer.WriteOctetString(inner.Encode());
        }

        return writer.Encode();
    }

    private static void WriteAlgorithmIdentifier(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(EcPublicKeyOid);
            writer.WriteObjectIdentifier(Sm2CurveOid);
        }
    }

    private static ECPoint ReadSpki(ReadOnlySpan<byte> spki)
    {
        try
        {
            var reader = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            ReadAlgorithmIdentifier(sequence);
            var point = sequence.ReadBitString(out var unusedBits);
            sequence.ThrowIfNotEmpty();
            if (unusedBits != 0)
            {
                throw new CryptographicException("The SM2 public key bit string is malformed.");
            }

            return DecodePoint(point);
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("The SM2 public key is not a SubjectPublicKeyInfo.", e);
        }
    }

    private static BigInteger ReadPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        try
        {
            var reader = new AsnReader(pkcs8.ToArray(), AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (!info.TryReadInt32(out var version) || version is not (0 or 1))
            {
                throw new CryptographicException("Unsupported PKCS#8 version.");
            }

            ReadAlgorithmIdentifier(info);
            var ecPrivateKey = new AsnReader(info.ReadOctetString(), AsnEncodingRules.DER);
            // Optional attributes and public key of OneAsymmetricKey (RFC 5958) carry nothing we need.
            var key = ecPrivateKey.ReadSequence();
            ecPrivateKey.ThrowIfNotEmpty();
            if (!key.TryReadInt32(out var ecVersion) || ecVersion != 1)
            {
                throw new CryptographicException("Unsupported ECPrivateKey version.");
            }

            var scalar = key.ReadOctetString();
            if (key.HasData && key.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                var parameters = key.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
                if (parameters.ReadObjectIdentifier() != Sm2CurveOid)
                {
                    throw new CryptographicException("The private key is not on curve sm2p256v1.");
                }
            }

            var d = new BigInteger(1, scalar);
            CryptographicOperations.ZeroMemory(scalar);
            return d.SignValue > 0 && d.CompareTo(Domain.N.Subtract(BigInteger.One)) < 0
                ? d
                : throw new CryptographicException("The SM2 private key is out of range.");
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("The SM2 private key is not PKCS#8.", e);
        }
    }

    private static void ReadAlgorithmIdentifier(AsnReader reader)
    {
        var algorithm = reader.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        var curve = algorithm.ReadObjectIdentifier();
        algorithm.ThrowIfNotEmpty();
        if (oid != EcPublicKeyOid || curve != Sm2CurveOid)
        {
            throw new CryptographicException("The key is not an SM2 key (id-ecPublicKey with curve 1.2.156.10197.1.301).");
        }
    }

    private static ECPoint DecodePoint(byte[] encoded)
    {
        try
        {
            var point = Curve.Curve.DecodePoint(encoded).Normalize();
            return point.IsInfinity || !point.IsValid()
                ? throw new CryptographicException("The SM2 public key is not a valid curve point.")
                : point;
        }
        catch (ArgumentException e)
        {
            throw new CryptographicException("The SM2 public key is not a valid curve point.", e);
        }
    }

    private static byte[] ToFixed(BigInteger value) => BigIntegers.AsUnsignedByteArray(FieldSize, value);

    /// <summary>Holds the parsed private key; each call uses its own BouncyCastle signer, so it is thread-safe.</summary>
    private sealed class Sm2Signer(ECPrivateKeyParameters key) : ISigner
    {
        private static readonly SecureRandom Random = new();

        public byte[] Sign(ReadOnlySpan<byte> data)
        {
            var signer = new SM2Signer(PlainDsaEncoding.Instance, new SM3Digest());
            signer.Init(true, new ParametersWithID(new ParametersWithRandom(key, Random), UserId));
            signer.BlockUpdate(data);
            return signer.GenerateSignature();
        }
    }
}
