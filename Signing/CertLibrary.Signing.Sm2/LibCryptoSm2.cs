using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CertLibrary.Signing.Sm2;

/// <summary>
/// SM2 through the system OpenSSL 3 libcrypto (<c>libcrypto.so.3</c>), called through P/Invoke as the BCL does for
/// its own algorithms: EVP_DigestSign / EVP_DigestVerify with SM3 and the distinguishing identifier set by
/// <c>EVP_PKEY_CTX_set1_id</c>. About 15× faster than Portable.BouncyCastle. <see cref="IsAvailable"/> is true only
/// when the library loads and passes a known-answer round trip against the BouncyCastle implementation, so a
/// missing or SM2-less libcrypto silently leaves <see cref="Sm2Suite"/> on BouncyCastle.
/// </summary>
internal static class LibCryptoSm2
{
    private const string LibCrypto = "libcrypto.so.3";

    private const int MaxCachedPublicKeys = 1024;

    private static readonly ConcurrentDictionary<string, EvpPkeyHandle> PublicKeys = new(StringComparer.Ordinal);

    private static readonly byte[] UserId = System.Text.Encoding.ASCII.GetBytes(Sm2Suite.DefaultUserId);

    /// <summary>SM3 fetched once: passing EVP_sm3() would make OpenSSL 3 fetch it again on every signature.</summary>
    private static nint _sm3;

    /// <summary>Whether the native path is usable on this machine.</summary>
    public static bool IsAvailable { get; } = Probe();

    /// <summary>Parses a PKCS#8 key (already validated by <see cref="Sm2Suite"/>) into a reusable native signer.</summary>
    public static ISigner CreateSigner(ReadOnlySpan<byte> pkcs8PrivateKey)
    {
        var key = Decode(pkcs8PrivateKey, isPrivate: true) ?? throw new CryptographicException("libcrypto could not read the SM2 private key.");
        return new NativeSigner(key);
    }

    /// <summary>
    /// Verifies a 64-byte r‖s signature. Parsed public keys are kept (a deployment verifies against a handful of
    /// department keys), because OpenSSL 3's decoder costs more than the verification itself.
    /// </summary>
    /// <exception cref="CryptographicException">The key is not a valid SM2 SubjectPublicKeyInfo.</exception>
    public static bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var key = PublicKey(subjectPublicKeyInfo);
        var der = RawToDer(signature);
        var context = NewDigestContext(key, sign: false);
        try
        {
            return context.Digest != 0 && EVP_DigestVerify(context.Digest, der, (nuint)der.Length, ref MemoryMarshal.GetReference(NonEmpty(data)), (nuint)data.Length) == 1;
        }
        finally
        {
            Free(context);
        }
    }

    private static EvpPkeyHandle PublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var id = Convert.ToBase64String(subjectPublicKeyInfo);
        if (PublicKeys.TryGetValue(id, out var key))
        {
            return key;
        }

        Sm2Suite.CheckSubjectPublicKeyInfo(subjectPublicKeyInfo); // same checks and errors as the managed path
        key = Decode(subjectPublicKeyInfo, isPrivate: false) ?? throw new CryptographicException("libcrypto could not read the SM2 public key.");
        if (PublicKeys.Count >= MaxCachedPublicKeys)
        {
            PublicKeys.Clear(); // evicted handles are released by their finalizer once no call uses them
        }

        return PublicKeys.GetOrAdd(id, key);
    }

    private static EvpPkeyHandle? Decode(ReadOnlySpan<byte> der, bool isPrivate)
    {
        var copy = der.ToArray();
        var pin = GCHandle.Alloc(copy, GCHandleType.Pinned);
        try
        {
            var cursor = pin.AddrOfPinnedObject();
            var key = isPrivate ? d2i_AutoPrivateKey(0, ref cursor, copy.Length) : d2i_PUBKEY(0, ref cursor, copy.Length);
            if (key == 0)
            {
                ERR_clear_error();
                return null;
            }

            return new EvpPkeyHandle(key);
        }
        finally
        {
            pin.Free();
            if (isPrivate)
            {
                CryptographicOperations.ZeroMemory(copy);
            }
        }
    }

    /// <summary>An EVP_MD_CTX set up for SM3 with the SM2 identifier; 0 on failure. The caller frees it with <see cref="Free"/>.</summary>
    private static (nint Digest, nint Key) NewDigestContext(EvpPkeyHandle key, bool sign)
    {
        (nint Digest, nint Key) context = (EVP_MD_CTX_new(), EVP_PKEY_CTX_new(key, 0));
        if (context.Digest == 0 || context.Key == 0)
        {
            Free(context);
            return (0, 0);
        }

        // set_pkey_ctx marks keyContext as kept: EVP_MD_CTX_free leaves it to us (see Free).
        EVP_MD_CTX_set_pkey_ctx(context.Digest, context.Key);
        var ok = EVP_PKEY_CTX_set1_id(context.Key, UserId, UserId.Length) == 1
            && (sign ? EVP_DigestSignInit(context.Digest, 0, _sm3, 0, key) : EVP_DigestVerifyInit(context.Digest, 0, _sm3, 0, key)) == 1;
        if (!ok)
        {
            Free(context);
            ERR_clear_error();
            return (0, 0);
        }

        return context;
    }

    private static void Free((nint Digest, nint Key) context)
    {
        if (context.Digest != 0)
        {
            EVP_MD_CTX_free(context.Digest);
        }

        if (context.Key != 0)
        {
            EVP_PKEY_CTX_free(context.Key);
        }
    }

    private static ReadOnlySpan<byte> NonEmpty(ReadOnlySpan<byte> data) => data.IsEmpty ? [0] : data;

    /// <summary>r‖s to the DER Ecdsa-Sig-Value OpenSSL expects (at most 72 bytes, so every length fits one byte).</summary>
    private static byte[] RawToDer(ReadOnlySpan<byte> signature)
    {
        var r = TrimLeadingZeros(signature[..32]);
        var s = TrimLeadingZeros(signature[32..]);
        var rLength = r.Length + (r[0] >= 0x80 ? 1 : 0);
        var sLength = s.Length + (s[0] >= 0x80 ? 1 : 0);
        var der = new byte[2 + 2 + rLength + 2 + sLength];
        der[0] = 0x30;
        der[1] = (byte)(der.Length - 2);
        der[2] = 0x02;
        der[3] = (byte)rLength;
        r.CopyTo(der.AsSpan(4 + rLength - r.Length));
        der[4 + rLength] = 0x02;
        der[5 + rLength] = (byte)sLength;
        s.CopyTo(der.AsSpan(6 + rLength + sLength - s.Length));
        return der;
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        var start = value.IndexOfAnyExcept((byte)0);
        return start < 0 ? value[^1..] : value[start..];
    }

    private static byte[] DerToRaw(ReadOnlySpan<byte> der)
    {
        var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        var raw = new byte[64];
        WriteFixed(sequence.ReadIntegerBytes().Span, raw.AsSpan(0, 32));
        WriteFixed(sequence.ReadIntegerBytes().Span, raw.AsSpan(32, 32));
        return raw;
    }

    private static void WriteFixed(ReadOnlySpan<byte> integer, Span<byte> destination)
    {
        var trimmed = TrimLeadingZeros(integer);
        if (trimmed.Length > destination.Length)
        {
            throw new CryptographicException("libcrypto returned an SM2 signature component longer than 32 bytes.");
        }

        trimmed.CopyTo(destination[(destination.Length - trimmed.Length)..]);
    }

    /// <summary>Round trip native ↔ BouncyCastle on a fresh key; any failure keeps the managed path.</summary>
    private static bool Probe()
    {
        try
        {
            if (!NativeLibrary.TryLoad(LibCrypto, out _) || (_sm3 = EVP_MD_fetch(0, "SM3\0"u8.ToArray(), 0)) == 0)
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

    /// <summary>Holds the native key; each call uses its own EVP contexts, so it is thread-safe.</summary>
    private sealed class NativeSigner(EvpPkeyHandle key) : ISigner
    {
        public byte[] Sign(ReadOnlySpan<byte> data)
        {
            var context = NewDigestContext(key, sign: true);
            if (context.Digest == 0)
            {
                throw new CryptographicException("libcrypto could not start an SM2 signature.");
            }

            try
            {
                Span<byte> der = stackalloc byte[80];
                var length = (nuint)der.Length;
                if (EVP_DigestSign(context.Digest, ref MemoryMarshal.GetReference(der), ref length, ref MemoryMarshal.GetReference(NonEmpty(data)), (nuint)data.Length) != 1)
                {
                    ERR_clear_error();
                    throw new CryptographicException("libcrypto failed to sign with SM2.");
                }

                return DerToRaw(der[..(int)length]);
            }
            finally
            {
                Free(context);
            }
        }
    }

    private sealed class EvpPkeyHandle : SafeHandle
    {
        public EvpPkeyHandle()
            : base(0, ownsHandle: true)
        {
        }

        public EvpPkeyHandle(nint handle)
            : base(0, ownsHandle: true) => SetHandle(handle);

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            EVP_PKEY_free(handle);
            return true;
        }
    }

#pragma warning disable SYSLIB1054 // DllImport keeps the project free of AllowUnsafeBlocks; every signature here is blittable.
    [DllImport(LibCrypto)]
    private static extern nint d2i_AutoPrivateKey(nint type, ref nint cursor, long length);

    [DllImport(LibCrypto)]
    private static extern nint d2i_PUBKEY(nint type, ref nint cursor, long length);

    [DllImport(LibCrypto)]
    private static extern void EVP_PKEY_free(nint key);

    [DllImport(LibCrypto)]
    private static extern nint EVP_PKEY_CTX_new(EvpPkeyHandle key, nint engine);

    [DllImport(LibCrypto)]
    private static extern void EVP_PKEY_CTX_free(nint context);

    [DllImport(LibCrypto)]
    private static extern int EVP_PKEY_CTX_set1_id(nint context, byte[] id, int length);

    [DllImport(LibCrypto)]
    private static extern nint EVP_MD_CTX_new();

    [DllImport(LibCrypto)]
    private static extern void EVP_MD_CTX_free(nint context);

    [DllImport(LibCrypto)]
    private static extern void EVP_MD_CTX_set_pkey_ctx(nint context, nint keyContext);

    [DllImport(LibCrypto)]
    private static extern nint EVP_MD_fetch(nint libraryContext, byte[] algorithm, nint properties);

    [DllImport(LibCrypto)]
    private static extern int EVP_DigestSignInit(nint context, nint keyContextOut, nint digest, nint engine, EvpPkeyHandle key);

    [DllImport(LibCrypto)]
    private static extern int EVP_DigestVerifyInit(nint context, nint keyContextOut, nint digest, nint engine, EvpPkeyHandle key);

    [DllImport(LibCrypto)]
    private static extern int EVP_DigestSign(nint context, ref byte signature, ref nuint signatureLength, ref byte data, nuint dataLength);

    [DllImport(LibCrypto)]
    private static extern int EVP_DigestVerify(nint context, byte[] signature, nuint signatureLength, ref byte data, nuint dataLength);

    [DllImport(LibCrypto)]
    private static extern void ERR_clear_error();
#pragma warning restore SYSLIB1054
}
