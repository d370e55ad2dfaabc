using System.Collections.Concurrent;
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

    /// <summary>Longest DER Ecdsa-Sig-Value of a 256-bit curve.</summary>
    private const int MaxDerSignature = 72;

    /// <summary>EVP_MD_CTX_FLAG_FINALISE: the final call may consume the context.</summary>
    private const int EvpMdCtxFlagFinalise = 0x0200;

    [ThreadStatic]
    private static LastPublicKey? t_lastPublicKey;

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
        Span<byte> der = stackalloc byte[MaxDerSignature];
        var derLength = RawToDer(signature, der);
        var context = DigestContexts.For(key, sign: false);
        var work = context.Work;
        if (EVP_MD_CTX_copy_ex(work, context.Template) == 1
            && EVP_DigestVerifyUpdate(work, ref MemoryMarshal.GetReference(NonEmpty(data)), (nuint)data.Length) == 1
            && EVP_DigestVerifyFinal(work, ref MemoryMarshal.GetReference(der), (nuint)derLength) == 1)
        {
            return true;
        }

        ERR_clear_error(); // a bad signature leaves its reason on this thread's OpenSSL error queue
        return false;
    }

    private static EvpPkeyHandle PublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        // Verifications come in runs against the same department key: compare bytes before building a dictionary key.
        if (t_lastPublicKey is { } last && subjectPublicKeyInfo.SequenceEqual(last.SubjectPublicKeyInfo) && !last.Key.IsClosed)
        {
            return last.Key;
        }

        var id = Convert.ToBase64String(subjectPublicKeyInfo);
        if (!PublicKeys.TryGetValue(id, out var key))
        {
            Sm2Suite.CheckSubjectPublicKeyInfo(subjectPublicKeyInfo); // same checks and errors as the managed path
            key = Decode(subjectPublicKeyInfo, isPrivate: false) ?? throw new CryptographicException("libcrypto could not read the SM2 public key.");
            if (PublicKeys.Count >= MaxCachedPublicKeys)
            {
                PublicKeys.Clear(); // evicted handles are released by their finalizer once no call or context uses them
            }

            key = PublicKeys.GetOrAdd(id, key);
        }

        t_lastPublicKey = new LastPublicKey(subjectPublicKeyInfo.ToArray(), key);
        return key;
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

    /// <summary>r‖s to the DER Ecdsa-Sig-Value OpenSSL expects (at most 72 bytes, so every length fits one byte); returns its length.</summary>
    private static int RawToDer(ReadOnlySpan<byte> signature, Span<byte> der)
    {
        var r = TrimLeadingZeros(signature[..32]);
        var s = TrimLeadingZeros(signature[32..]);
        var rLength = r.Length + (r[0] >= 0x80 ? 1 : 0);
        var sLength = s.Length + (s[0] >= 0x80 ? 1 : 0);
        var length = 2 + 2 + rLength + 2 + sLength;
        der[..length].Clear();
        der[0] = 0x30;
        der[1] = (byte)(length - 2);
        der[2] = 0x02;
        der[3] = (byte)rLength;
        r.CopyTo(der[(4 + rLength - r.Length)..]);
        der[4 + rLength] = 0x02;
        der[5 + rLength] = (byte)sLength;
        s.CopyTo(der[(6 + rLength + sLength - s.Length)..]);
        return length;
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        var start = value.IndexOfAnyExcept((byte)0);
        return start < 0 ? value[^1..] : value[start..];
    }

    /// <summary>The DER Ecdsa-Sig-Value libcrypto returns (short-form lengths only, as it always writes for SM2) to r‖s.</summary>
    private static byte[] DerToRaw(ReadOnlySpan<byte> der)
    {
        if (der.Length < 8 || der[0] != 0x30 || der[1] != der.Length - 2)
        {
            throw new CryptographicException("libcrypto returned a malformed SM2 signature.");
        }

        var raw = new byte[64];
        var rest = ReadInteger(der[2..], raw.AsSpan(0, 32));
        if (!ReadInteger(rest, raw.AsSpan(32, 32)).IsEmpty)
        {
            throw new CryptographicException("libcrypto returned a malformed SM2 signature.");
        }

        return raw;
    }

    /// <summary>Reads one DER INTEGER into a fixed-size big-endian field; returns what follows it.</summary>
    private static ReadOnlySpan<byte> ReadInteger(ReadOnlySpan<byte> der, Span<byte> destination)
    {
        if (der.Length < 3 || der[0] != 0x02 || der[1] is 0 or >= 0x80 || der[1] > der.Length - 2)
        {
            throw new CryptographicException("libcrypto returned a malformed SM2 signature.");
        }

        var trimmed = TrimLeadingZeros(der.Slice(2, der[1]));
        if (trimmed.Length > destination.Length)
        {
            throw new CryptographicException("libcrypto returned an SM2 signature component longer than 32 bytes.");
        }

        destination.Clear();
        trimmed.CopyTo(destination[(destination.Length - trimmed.Length)..]);
        return der[(2 + der[1])..];
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

    /// <summary>Holds the native key; each thread signs with its own EVP contexts (see <see cref="DigestContexts"/>), so it is thread-safe.</summary>
    private sealed class NativeSigner(EvpPkeyHandle key) : ISigner
    {
        public byte[] Sign(ReadOnlySpan<byte> data)
        {
            var context = DigestContexts.For(key, sign: true);
            var work = context.Work;
            Span<byte> der = stackalloc byte[MaxDerSignature];
            var length = (nuint)der.Length;
            if (EVP_MD_CTX_copy_ex(work, context.Template) != 1
                || EVP_DigestSignUpdate(work, ref MemoryMarshal.GetReference(NonEmpty(data)), (nuint)data.Length) != 1
                || EVP_DigestSignFinal(work, ref MemoryMarshal.GetReference(der), ref length) != 1)
            {
                ERR_clear_error();
                throw new CryptographicException("libcrypto failed to sign with SM2.");
            }

            return DerToRaw(der[..(int)length]);
        }
    }

    /// <summary>
    /// The calling thread's digest contexts, a few keys deep. Each is set up once per key: SM3 with the SM2 identifier,
    /// and Z (the hash of identifier, curve and public key that starts every SM2 digest) already absorbed; a call
    /// copies it into its working context and hashes only the message. The contexts hold their own reference to the
    /// key, and are freed when evicted here or, with a thread that ends, by their finalizer.
    /// </summary>
    private sealed class DigestContexts
    {
        private const int Slots = 8;

        [ThreadStatic]
        private static DigestContexts? t_current;

        private readonly (EvpPkeyHandle? Key, bool Sign, DigestContext? Context)[] _slots = new (EvpPkeyHandle?, bool, DigestContext?)[Slots];
        private int _next;

        public static DigestContext For(EvpPkeyHandle key, bool sign)
        {
            var contexts = t_current ??= new DigestContexts();
            foreach (var slot in contexts._slots)
            {
                if (ReferenceEquals(slot.Key, key) && slot.Sign == sign)
                {
                    return slot.Context!;
                }
            }

            var context = DigestContext.Create(key, sign)
                ?? throw new CryptographicException($"libcrypto could not start an SM2 {(sign ? "signature" : "verification")}.");
            ref var victim = ref contexts._slots[contexts._next];
            victim.Context?.Dispose();
            victim = (key, sign, context);
            contexts._next = (contexts._next + 1) % Slots;
            return context;
        }
    }

    /// <summary>A prepared EVP_MD_CTX (the handle) with its EVP_PKEY_CTX, and the working EVP_MD_CTX calls copy it into.</summary>
    private sealed class DigestContext : SafeHandle
    {
        private nint _keyContext;

        private DigestContext()
            : base(0, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == 0;

        public nint Template => handle;

        public nint Work { get; private set; }

        public static DigestContext? Create(EvpPkeyHandle key, bool sign)
        {
            var (digest, keyContext) = NewDigestContext(key, sign);
            if (digest == 0)
            {
                return null;
            }

            var context = new DigestContext { _keyContext = keyContext, Work = EVP_MD_CTX_new() };
            context.SetHandle(digest);
            byte none = 0;
            var absorbed = sign ? EVP_DigestSignUpdate(digest, ref none, 0) : EVP_DigestVerifyUpdate(digest, ref none, 0);
            if (context.Work == 0 || absorbed != 1)
            {
                ERR_clear_error();
                context.Dispose();
                return null;
            }

            // Copies finalise in place instead of duplicating their state once more for a later update.
            EVP_MD_CTX_set_flags(digest, EvpMdCtxFlagFinalise);
            return context;
        }

        protected override bool ReleaseHandle()
        {
            if (Work != 0)
            {
                EVP_MD_CTX_free(Work);
            }

            Free((handle, _keyContext));
            return true;
        }
    }

    private sealed record LastPublicKey(byte[] SubjectPublicKeyInfo, EvpPkeyHandle Key);

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
    private static extern int EVP_DigestSignUpdate(nint context, ref byte data, nuint dataLength);

    [DllImport(LibCrypto)]
    private static extern int EVP_DigestSignFinal(nint context, ref byte signature, ref nuint signatureLength);

    [DllImport(LibCrypto)]
    private static extern int EVP_DigestVerifyUpdate(nint context, ref byte data, nuint dataLength);

    [DllImport(LibCrypto)]
    private static extern int EVP_DigestVerifyFinal(nint context, ref byte signature, nuint signatureLength);

    [DllImport(LibCrypto)]
    private static extern int EVP_MD_CTX_copy_ex(nint destination, nint source);

    [DllImport(LibCrypto)]
    private static extern void EVP_MD_CTX_set_flags(nint context, int flags);

    [DllImport(LibCrypto)]
    private static extern void ERR_clear_error();
#pragma warning restore SYSLIB1054
}
