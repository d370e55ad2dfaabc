using System.Text.Json.Nodes;

namespace CertLibrary.Signing;

/// <summary>
/// One signature suite (SPEC §4): key generation, signing, verification and JWK conversion for one
/// JOSE algorithm. Implementations are stateless and thread-safe.
/// </summary>
public interface ISignatureSuite
{
    /// <summary>The JOSE <c>alg</c> value: <c>"ES256"</c> or <c>"SM2"</c>.</summary>
    string Algorithm { get; }

    /// <summary>Generates a new key pair.</summary>
    SigningKeyPair GenerateKeyPair();

    /// <summary>Parses a PKCS#8 private key once and returns a reusable, thread-safe signer.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The key is malformed or of another algorithm.</exception>
    ISigner CreateSigner(ReadOnlySpan<byte> pkcs8PrivateKey);

    /// <summary>
    /// Verifies a signature in the JOSE form (64 bytes r‖s). Returns <see langword="false"/>, never throws,
    /// for malformed keys or signatures.
    /// </summary>
    bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>Converts a SubjectPublicKeyInfo DER public key to its public JWK (<c>kty</c>, <c>crv</c>, <c>x</c>, <c>y</c>).</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The key is malformed or of another algorithm.</exception>
    JsonObject ExportJwk(ReadOnlySpan<byte> subjectPublicKeyInfo);

    /// <summary>Converts a public JWK to SubjectPublicKeyInfo DER.</summary>
    /// <exception cref="JwkFormatException">The JWK is malformed, of another curve, or not a valid public point.</exception>
    byte[] ImportJwk(JsonObject jwk);
}

/// <summary>Signs with one private key. Thread-safe.</summary>
public interface ISigner
{
    /// <summary>Signs <paramref name="data"/> and returns the JOSE signature (64 bytes r‖s).</summary>
    byte[] Sign(ReadOnlySpan<byte> data);
}

/// <summary>A freshly generated key pair: PKCS#8 private key DER and SubjectPublicKeyInfo public key DER.</summary>
/// <param name="Pkcs8PrivateKey">PKCS#8 PrivateKeyInfo DER.</param>
/// <param name="SubjectPublicKeyInfo">SubjectPublicKeyInfo DER.</param>
public sealed record SigningKeyPair(byte[] Pkcs8PrivateKey, byte[] SubjectPublicKeyInfo);

/// <summary>A JWK could not be imported.</summary>
public sealed class JwkFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public JwkFormatException()
    {
    }

    /// <summary>Creates the exception with a message saying what was wrong.</summary>
    public JwkFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public JwkFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
