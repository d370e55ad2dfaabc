using System.Security.Cryptography;
using static CertLibrary.Signing.LibCrypto;

namespace CertLibrary.Signing.Sm2;

/// <summary>
/// SM2 through the system OpenSSL 3 libcrypto (<see cref="LibCrypto"/>): SM3 with the distinguishing identifier set by
/// <c>EVP_PKEY_CTX_set1_id</c>. Many times faster than BouncyCastle (the bench reports both). <see cref="IsAvailable"/> is true only
/// when the library loads and passes a known-answer round trip against the BouncyCastle implementation, so a
/// missing or SM2-less libcrypto silently leaves <see cref="Sm2Suite"/> on BouncyCastle.
/// </summary>
internal static class LibCryptoSm2
{
    private static readonly EvpAlgorithm? Sm3 = Algorithm("SM3", System.Text.Encoding.ASCII.GetBytes(Sm2Suite.DefaultUserId));

    private static readonly PublicKeyCache PublicKeys = new(Sm2Suite.CheckSubjectPublicKeyInfo); // same checks and errors as the managed path

    /// <summary>Whether the native path is usable on this machine.</summary>
    public static bool IsAvailable { get; } = Probe();

    /// <summary>Parses a PKCS#8 key (already validated by <see cref="Sm2Suite"/>) into a reusable native signer.</summary>
    public static ISigner CreateSigner(ReadOnlySpan<byte> pkcs8PrivateKey)
    {
        var key = Decode(pkcs8PrivateKey, isPrivate: true) ?? throw new CryptographicException("libcrypto could not read the SM2 private key.");
        return new NativeSigner(key);
    }

    /// <summary>Verifies a 64-byte r‖s signature.</summary>
    /// <exception cref="CryptographicException">The key is not a valid SM2 SubjectPublicKeyInfo.</exception>
    public static bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        LibCrypto.Verify(Sm3!, PublicKeys.Get(subjectPublicKeyInfo), data, signature);

    /// <summary>Round trip native ↔ BouncyCastle on a fresh key; any failure keeps the managed path.</summary>
    private static bool Probe()
    {
        try
        {
            if (Sm3 is null)
            {
                return false;
            }

            var suite = new Sm2Suite();
            var pair = suite.GenerateKeyPair();
            var data = "CertLibrary SM2 libcrypto self-test"u8.ToArray();
            var native = ((NativeSigner)CreateSigner(pair.Pkcs8PrivateKey)).Sign(data);
            var managed = Sm2Suite.CreateManagedSigner(pair.Pkcs8PrivateKey).Sign(data);
            var tampered = (byte[])native.Clone();
            tampered[5] ^= 1;
            return Sm2Suite.VerifyManaged(pair.SubjectPublicKeyInfo, data, native)
                && !Sm2Suite.VerifyManaged(pair.SubjectPublicKeyInfo, data, tampered)
                && Verify(pair.SubjectPublicKeyInfo, data, managed)
                && !Verify(pair.SubjectPublicKeyInfo, data, tampered);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CryptographicException or BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>Holds the native key; each thread signs with its own prepared contexts, so it is thread-safe.</summary>
    private sealed class NativeSigner(EvpPkeyHandle key) : ISigner
    {
        public byte[] Sign(ReadOnlySpan<byte> data) => LibCrypto.Sign(Sm3!, key, data);
    }
}
