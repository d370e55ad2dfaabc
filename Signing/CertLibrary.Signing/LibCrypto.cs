using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CertLibrary.Signing;

/// <summary>
/// ECDSA-family signatures through the system OpenSSL 3 libcrypto (<c>libcrypto.so.3</c>), called through P/Invoke as
/// the BCL does for its own algorithms: EVP_DigestSign / EVP_DigestVerify with a digest fetched once and, for SM2, the
/// distinguishing identifier. Each thread keeps a prepared digest context per key and copies it for every call, so a
/// call pays neither the algorithm fetch nor the context set-up that a fresh EVP_PKEY_CTX costs in OpenSSL 3.
/// Signatures cross this boundary as r‖s; libcrypto sees DER. Callers check their keys before handing them here and
/// keep a managed path for machines where <see cref="IsLoaded"/> is false or their own self-test fails.
/// Public for signature-suite plug-ins (CertLibrary.Signing.Sm2); an algorithm or key handle is only ever made here.
/// </summary>
public static class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    /// <summary>Longest DER Ecdsa-Sig-Value of a 256-bit curve.</summary>
    private const int MaxDerSignature = 72;

    /// <summary>EVP_MD_CTX_FLAG_FINALISE: the final call may consume the context.</summary>
    private const int EvpMdCtxFlagFinalise = 0x0200;

    /// <summary>Whether libcrypto.so.3 loads on this machine.</summary>
    public static bool IsLoaded { get; } = NativeLibrary.TryLoad(Library, out _);

    /// <summary>
    /// A signature algorithm: the digest (fetched once: passing EVP_sha256() or EVP_sm3() would make OpenSSL 3 fetch
    /// it again on every call) and, for SM2, the distinguishing identifier set on every context.
    /// </summary>
    /// <returns>Null when libcrypto is missing or lacks the digest.</returns>
    public static EvpAlgorithm? Algorithm(string digest, byte[]? distinguishingId)
    {
        if (!IsLoaded)
        {
            return null;
        }

        try
        {
            var fetched = EVP_MD_fetch(0, System.Text.Encoding.ASCII.GetBytes(digest + "\0"), 0);
            return fetched == 0 ? null : new EvpAlgorithm(fetched, distinguishingId);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }

    /// <summary>Parses a SubjectPublicKeyInfo (or, with <paramref name="isPrivate"/>, a PKCS#8 key) into a native key; null when libcrypto cannot read it.</summary>
    public static EvpPkeyHandle? Decode(ReadOnlySpan<byte> der, bool isPrivate)
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

    /// <summary>Verifies a 64-byte r‖s signature of <paramref name="data"/> (hashed here with the algorithm's digest).</summary>
    /// <exception cref="CryptographicException">libcrypto could not prepare a verification with this key.</exception>
    public static bool Verify(EvpAlgorithm algorithm, EvpPkeyHandle key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> der = stackalloc byte[MaxDerSignature];
        var derLength = RawToDer(signature, der);
        var context = DigestContexts.For(algorithm, key, sign: false);
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

    /// <summary>Signs <paramref name="data"/> with a private key; returns r‖s.</summary>
    /// <exception cref="CryptographicException">libcrypto failed to sign.</exception>
    public static byte[] Sign(EvpAlgorithm algorithm, EvpPkeyHandle key, ReadOnlySpan<byte> data)
    {
        var context = DigestContexts.For(algorithm, key, sign: true);
        var work = context.Work;
        Span<byte> der = stackalloc byte[MaxDerSignature];
        var length = (nuint)der.Length;
        if (EVP_MD_CTX_copy_ex(work, context.Template) != 1
            || EVP_DigestSignUpdate(work, ref MemoryMarshal.GetReference(NonEmpty(data)), (nuint)data.Length) != 1
            || EVP_DigestSignFinal(work, ref MemoryMarshal.GetReference(der), ref length) != 1)
        {
            ERR_clear_error();
            throw new CryptographicException("libcrypto failed to sign.");
        }

        return DerToRaw(der[..(int)length]);
    }

    /// <summary>An EVP_MD_CTX set up for the algorithm and key; 0 on failure. The caller frees it with <see cref="Free"/>.</summary>
    private static (nint Digest, nint Key) NewDigestContext(EvpAlgorithm algorithm, EvpPkeyHandle key, bool sign)
    {
        (nint Digest, nint Key) context = (EVP_MD_CTX_new(), EVP_PKEY_CTX_new(key, 0));
        if (context.Digest == 0 || context.Key == 0)
        {
            Free(context);
            return (0, 0);
        }

        // set_pkey_ctx marks keyContext as kept: EVP_MD_CTX_free leaves it to us (see Free).
        EVP_MD_CTX_set_pkey_ctx(context.Digest, context.Key);
        var ok = (algorithm.DistinguishingId is not { } id || EVP_PKEY_CTX_set1_id(context.Key, id, id.Length) == 1)
            && (sign ? EVP_DigestSignInit(context.Digest, 0, algorithm.Digest, 0, key) : EVP_DigestVerifyInit(context.Digest, 0, algorithm.Digest, 0, key)) == 1;
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

    /// <summary>The DER Ecdsa-Sig-Value libcrypto returns (short-form lengths only, as it always writes for 256-bit curves) to r‖s.</summary>
    private static byte[] DerToRaw(ReadOnlySpan<byte> der)
    {
        if (der.Length < 8 || der[0] != 0x30 || der[1] != der.Length - 2)
        {
            throw new CryptographicException("libcrypto returned a malformed signature.");
        }

        var raw = new byte[64];
        var rest = ReadInteger(der[2..], raw.AsSpan(0, 32));
        if (!ReadInteger(rest, raw.AsSpan(32, 32)).IsEmpty)
        {
            throw new CryptographicException("libcrypto returned a malformed signature.");
        }

        return raw;
    }

    /// <summary>Reads one DER INTEGER into a fixed-size big-endian field; returns what follows it.</summary>
    private static ReadOnlySpan<byte> ReadInteger(ReadOnlySpan<byte> der, Span<byte> destination)
    {
        if (der.Length < 3 || der[0] != 0x02 || der[1] is 0 or >= 0x80 || der[1] > der.Length - 2)
        {
            throw new CryptographicException("libcrypto returned a malformed signature.");
        }

        var trimmed = TrimLeadingZeros(der.Slice(2, der[1]));
        if (trimmed.Length > destination.Length)
        {
            throw new CryptographicException("libcrypto returned a signature component longer than 32 bytes.");
        }

        destination.Clear();
        trimmed.CopyTo(destination[(destination.Length - trimmed.Length)..]);
        return der[(2 + der[1])..];
    }

    /// <summary>A digest fetched once and the optional distinguishing identifier (SM2); made by <see cref="Algorithm"/>.</summary>
    public sealed class EvpAlgorithm
    {
        internal EvpAlgorithm(nint digest, byte[]? distinguishingId)
        {
            Digest = digest;
            DistinguishingId = distinguishingId;
        }

        internal nint Digest { get; }

        internal byte[]? DistinguishingId { get; }
    }

    /// <summary>
    /// Parsed public keys by SubjectPublicKeyInfo: a deployment verifies against a handful of department keys, and
    /// OpenSSL 3's decoder costs more than the verification itself. <c>check</c> validates a key the first time it is
    /// seen (throwing <see cref="CryptographicException"/> for a key of the wrong kind); nothing invalid is kept.
    /// </summary>
    public sealed class PublicKeyCache(Action<ReadOnlySpan<byte>> check)
    {
        private const int MaxKeys = 1024;
        private const int RecentSlots = 4;

        [ThreadStatic]
        private static (PublicKeyCache? Owner, byte[]? SubjectPublicKeyInfo, EvpPkeyHandle? Key)[]? t_recent;

        [ThreadStatic]
        private static int t_nextRecent;

        private readonly ConcurrentDictionary<string, EvpPkeyHandle> _keys = new(StringComparer.Ordinal);

        /// <exception cref="CryptographicException">The key fails the check or libcrypto cannot read it.</exception>
        public EvpPkeyHandle Get(ReadOnlySpan<byte> subjectPublicKeyInfo)
        {
            // Verifications come in runs against the same few keys: compare bytes before building a dictionary key.
            var recent = t_recent ??= new (PublicKeyCache?, byte[]?, EvpPkeyHandle?)[RecentSlots];
            foreach (var entry in recent)
            {
                if (ReferenceEquals(entry.Owner, this) && subjectPublicKeyInfo.SequenceEqual(entry.SubjectPublicKeyInfo) && !entry.Key!.IsClosed)
                {
                    return entry.Key;
                }
            }

            var id = Convert.ToBase64String(subjectPublicKeyInfo);
            if (!_keys.TryGetValue(id, out var key))
            {
                check(subjectPublicKeyInfo);
                key = Decode(subjectPublicKeyInfo, isPrivate: false) ?? throw new CryptographicException("libcrypto could not read the public key.");
                if (_keys.Count >= MaxKeys)
                {
                    _keys.Clear(); // evicted handles are released by their finalizer once no call or context uses them
                }

                key = _keys.GetOrAdd(id, key);
            }

            recent[t_nextRecent] = (this, subjectPublicKeyInfo.ToArray(), key);
            t_nextRecent = (t_nextRecent + 1) % RecentSlots;
            return key;
        }
    }

    /// <summary>
    /// The calling thread's digest contexts, a few keys deep. Each is set up once per key (for SM2 with Z, the hash of
    /// identifier, curve and public key that starts every digest, already absorbed); a call copies it into its working
    /// context and hashes only the message. The contexts hold their own reference to the key, and are freed when
    /// evicted here or, with a thread that ends, by their finalizer.
    /// </summary>
    private sealed class DigestContexts
    {
        private const int Slots = 8;

        [ThreadStatic]
        private static DigestContexts? t_current;

        private readonly (EvpPkeyHandle? Key, bool Sign, DigestContext? Context)[] _slots = new (EvpPkeyHandle?, bool, DigestContext?)[Slots];
        private int _next;

        public static DigestContext For(EvpAlgorithm algorithm, EvpPkeyHandle key, bool sign)
        {
            var contexts = t_current ??= new DigestContexts();
            foreach (var slot in contexts._slots)
            {
                if (ReferenceEquals(slot.Key, key) && slot.Sign == sign)
                {
                    return slot.Context!;
                }
            }

            var context = DigestContext.Create(algorithm, key, sign)
                ?? throw new CryptographicException($"libcrypto could not start a {(sign ? "signature" : "verification")}.");
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

        public static DigestContext? Create(EvpAlgorithm algorithm, EvpPkeyHandle key, bool sign)
        {
            var (digest, keyContext) = NewDigestContext(algorithm, key, sign);
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

    /// <summary>An EVP_PKEY, freed when the last holder lets go.</summary>
    public sealed class EvpPkeyHandle : SafeHandle
    {
        internal EvpPkeyHandle()
            : base(0, ownsHandle: true)
        {
        }

        internal EvpPkeyHandle(nint handle)
            : base(0, ownsHandle: true) => SetHandle(handle);

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            EVP_PKEY_free(handle);
            return true;
        }
    }

#pragma warning disable SYSLIB1054 // DllImport keeps the project free of AllowUnsafeBlocks; every signature here is blittable.
    [DllImport(Library)]
    private static extern nint d2i_AutoPrivateKey(nint type, ref nint cursor, long length);

    [DllImport(Library)]
    private static extern nint d2i_PUBKEY(nint type, ref nint cursor, long length);

    [DllImport(Library)]
    private static extern void EVP_PKEY_free(nint key);

    [DllImport(Library)]
    private static extern nint EVP_PKEY_CTX_new(EvpPkeyHandle key, nint engine);

    [DllImport(Library)]
    private static extern void EVP_PKEY_CTX_free(nint context);

    [DllImport(Library)]
    private static extern int EVP_PKEY_CTX_set1_id(nint context, byte[] id, int length);

    [DllImport(Library)]
    private static extern nint EVP_MD_CTX_new();

    [DllImport(Library)]
    private static extern void EVP_MD_CTX_free(nint context);

    [DllImport(Library)]
    private static extern void EVP_MD_CTX_set_pkey_ctx(nint context, nint keyContext);

    [DllImport(Library)]
    private static extern nint EVP_MD_fetch(nint libraryContext, byte[] algorithm, nint properties);

    [DllImport(Library)]
    private static extern int EVP_DigestSignInit(nint context, nint keyContextOut, nint digest, nint engine, EvpPkeyHandle key);

    [DllImport(Library)]
    private static extern int EVP_DigestVerifyInit(nint context, nint keyContextOut, nint digest, nint engine, EvpPkeyHandle key);

    [DllImport(Library)]
    private static extern int EVP_DigestSignUpdate(nint context, ref byte data, nuint dataLength);

    [DllImport(Library)]
    private static extern int EVP_DigestSignFinal(nint context, ref byte signature, ref nuint signatureLength);

    [DllImport(Library)]
    private static extern int EVP_DigestVerifyUpdate(nint context, ref byte data, nuint dataLength);

    [DllImport(Library)]
    private static extern int EVP_DigestVerifyFinal(nint context, ref byte signature, nuint signatureLength);

    [DllImport(Library)]
    private static extern int EVP_MD_CTX_copy_ex(nint destination, nint source);

    [DllImport(Library)]
    private static extern void EVP_MD_CTX_set_flags(nint context, int flags);

    [DllImport(Library)]
    private static extern void ERR_clear_error();
#pragma warning restore SYSLIB1054
}
