using System.Security.Cryptography;

namespace CertLibrary.Signing;

/// <summary>
/// Key identifiers (SPEC §4): base64url of the first 8 bytes of SHA-256 over the public key's
/// SubjectPublicKeyInfo DER.
/// </summary>
public static class KeyId
{
    /// <summary>Computes the <c>kid</c> of a public key given as SubjectPublicKeyInfo DER.</summary>
    public static string Compute(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(subjectPublicKeyInfo, hash);
        return Base64Url.Encode(hash[..8]);
    }
}
