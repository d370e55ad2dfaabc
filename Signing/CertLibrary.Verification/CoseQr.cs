using System.Diagnostics.CodeAnalysis;
using System.Formats.Cbor;
using System.IO.Compression;
using CertLibrary.Identifiers;
using CertLibrary.Signing;
using SimpleBase;

namespace CertLibrary.Verification;

/// <summary>
/// The offline QR, format 2 (SPEC §5): <c>CL2:</c> + base45 (RFC 9285) of the zlib stream of a COSE_Sign (tag 98,
/// one signer per suite) or COSE_Sign1 (tag 18, one suite) over CWT claims. Decoding caps the text, the inflated
/// size, the CBOR depth and item count and the number of signers before it looks at anything.
/// </summary>
public static class CoseQr
{
    /// <summary>Prefix of a format-2 QR text.</summary>
    public const string Prefix = "CL2:";

    /// <summary>Longest text accepted (a version-40 QR holds 4,296 alphanumeric characters; format 2 needs under 600).</summary>
    public const int MaxLength = 2048;

    /// <summary>Largest COSE object accepted after inflating (zip bombs stop here).</summary>
    public const int MaxInflatedLength = 4096;

    /// <summary>Deepest CBOR nesting accepted (a COSE_Sign signer's header map sits at 4, the claims need 3).</summary>
    public const int MaxDepth = 4;

    /// <summary>Most CBOR data items accepted in the COSE object or in the claims.</summary>
    public const int MaxItems = 64;

    /// <summary>Most signers a COSE_Sign may carry.</summary>
    public const int MaxSigners = 4;

    /// <summary>CBOR tag of COSE_Sign.</summary>
    public const ulong SignTag = 98;

    /// <summary>CBOR tag of COSE_Sign1.</summary>
    public const ulong Sign1Tag = 18;

    /// <summary>COSE <c>alg</c> of ES256.</summary>
    public const int Es256Algorithm = -7;

    /// <summary>COSE <c>alg</c> of SM2 (private use: GM/T 0003 with SM3, user ID 1234567812345678, r‖s).</summary>
    public const int Sm2Algorithm = -65537;

    /// <summary>Claim key of the CertLibrary claims map.</summary>
    public const int ClaimsKey = -70000;

    /// <summary>Bytes of the holder binding and of its salt.</summary>
    public const int BindingLength = 12;

    /// <summary>
    /// The root every certificate id starts with (SPEC §2). Claim 1 carries the id without it, 15 characters that say
    /// nothing and that keep a dual-signed QR above version 16; a reader puts it back.
    /// </summary>
    public const string IdRoot = CertificateId.Root;

    private const string OneSignerInSign = "COSE_Sign with one signer (one suite is COSE_Sign1)";

    private const int KeyIdLength = 8;
    private static readonly System.Buffers.SearchValues<char> Base45Characters = System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:");
    private const int HeaderAlgorithm = 1;
    private const int HeaderKeyId = 4;
    private const int ClaimExpiry = 4;
    private const int ClaimNotBefore = 5;

    /// <summary>Key of an organisation holder's credit code in the claims map (its name is then not masked, and there is no holder binding).</summary>
    private const long MaxUnixSeconds = 253402300799;

    /// <summary>
    /// Creates the QR text: signed by every signer in order (SM2 first, then ES256, by default), COSE_Sign1 when
    /// there is one. <c>MaskedName</c> of <paramref name="claims"/> is the full name: it is masked here.
    /// </summary>
    public static string Create(QrClaims claims, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> holderBinding, IReadOnlyList<JwsSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(signers);
        // An organisation's QR (claims.HolderCreditCode set) has no holder binding: pass empty salt and binding.
        var bindingLength = claims.HolderCreditCode is null ? BindingLength : 0;
        if (salt.Length != bindingLength || holderBinding.Length != bindingLength)
        {
            throw new ArgumentException($"The salt and the holder binding have {bindingLength} bytes each.", nameof(salt));
        }

        if (signers.Count is 0 or > MaxSigners)
        {
            throw new ArgumentException($"A QR has 1 to {MaxSigners} signers.", nameof(signers));
        }

        if (!claims.Id.StartsWith(IdRoot, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A certificate id starts with {IdRoot}.", nameof(claims));
        }

        var payload = WriteClaims(claims, salt, holderBinding);
        var writer = new CborWriter();
        if (signers.Count == 1)
        {
            var protectedHeader = ProtectedHeader(signers[0]);
            writer.WriteTag((CborTag)Sign1Tag);
            writer.WriteStartArray(4);
            writer.WriteByteString(protectedHeader);
            WriteKeyId(writer, signers[0]);
            writer.WriteByteString(payload);
            writer.WriteByteString(signers[0].Signer.Sign(SigStructure(null, protectedHeader, payload)));
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteTag((CborTag)SignTag);
            writer.WriteStartArray(4);
            writer.WriteByteString([]);
            writer.WriteStartMap(0);
            writer.WriteEndMap();
            writer.WriteByteString(payload);
            writer.WriteStartArray(signers.Count);
            foreach (var signer in signers)
            {
                var protectedHeader = ProtectedHeader(signer);
                writer.WriteStartArray(3);
                writer.WriteByteString(protectedHeader);
                WriteKeyId(writer, signer);
                writer.WriteByteString(signer.Signer.Sign(SigStructure([], protectedHeader, payload)));
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndArray();
        }

        return Prefix + Base45.Default.Encode(Deflate(writer.Encode()));
    }

    /// <summary>
    /// The COSE Sig_structure (RFC 9052 §4.4) with empty external AAD: <c>["Signature", bodyProtected, signProtected, h'', payload]</c>,
    /// or <c>["Signature1", signProtected, h'', payload]</c> when <paramref name="bodyProtected"/> is null (COSE_Sign1).
    /// </summary>
    public static byte[] SigStructure(byte[]? bodyProtected, ReadOnlySpan<byte> signProtected, ReadOnlySpan<byte> payload)
    {
        var writer = new CborWriter();
        writer.WriteStartArray(bodyProtected is null ? 4 : 5);
        writer.WriteTextString(bodyProtected is null ? "Signature1" : "Signature");
        if (bodyProtected is not null)
        {
            writer.WriteByteString(bodyProtected);
        }

        writer.WriteByteString(signProtected);
        writer.WriteByteString([]);
        writer.WriteByteString(payload);
        writer.WriteEndArray();
        return writer.Encode();
    }

    /// <summary>The JOSE name of a COSE <c>alg</c> this library verifies, or null.</summary>
    public static string? AlgorithmName(long coseAlgorithm) => coseAlgorithm switch
    {
        Es256Algorithm => Es256Suite.AlgorithmName,
        Sm2Algorithm => "SM2",
        _ => null,
    };

    /// <summary>
    /// The certificate id a format-2 QR claims, read WITHOUT verifying anything (so that a verifier can fetch what it
    /// needs in one go); false when the text does not decode. Never trust the id for anything else.
    /// </summary>
    public static bool TryReadUnverifiedId(string? text, [NotNullWhen(true)] out string? id)
    {
        id = TryDecode(text, out var message, out _) && ReadClaims(message.Payload, out _) is { } claims ? claims.Id : null;
        return id is not null;
    }

    /// <summary>Decodes the text down to the COSE structure, within every cap; signatures are not checked here.</summary>
    public static bool TryDecode(string? text, [NotNullWhen(true)] out CoseQrMessage? message, [NotNullWhen(false)] out string? failure)
    {
        message = null;
        if (string.IsNullOrEmpty(text))
        {
            failure = "empty QR text";
            return false;
        }

        if (text.Length > MaxLength)
        {
            failure = JwsReasons.TooLarge;
            return false;
        }

        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            failure = "not a format-2 QR (expected prefix " + Prefix + ")";
            return false;
        }

        var encoded = text.AsSpan(Prefix.Length);
        if (encoded.ContainsAnyExcept(Base45Characters))
        {
            // SimpleBase indexes its table with the character: anything outside RFC 9285's alphabet is refused first.
            failure = "malformed base45";
            return false;
        }

        var compressed = new byte[Base45.Default.GetSafeByteCountForDecoding(encoded)];
        int written;
        try
        {
            if (!Base45.Default.TryDecode(encoded, compressed, out written))
            {
                failure = "malformed base45";
                return false;
            }
        }
        catch (ArgumentException)
        {
            failure = "malformed base45";
            return false;
        }

        var cose = Inflate(compressed, written, out var inflateFailure);
        if (cose is null)
        {
            failure = inflateFailure ?? "malformed zlib stream";
            return false;
        }

        failure = CheckShape(cose);
        if (failure is not null)
        {
            return false;
        }

        try
        {
            message = ReadCose(cose, out failure);
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            failure = "malformed COSE structure";
        }

        failure ??= message is null ? "malformed COSE structure" : null;
        return message is not null;
    }

    /// <summary>
    /// Reads the CWT claims of a (verified) payload: exactly <c>{4: exp, 5: nbf, -70000: {1: id, 2: name, 3: binding,
    /// 4: salt, 5: [listId, index]}}</c>, each once and of its type (the id without <see cref="IdRoot"/>, returned with
    /// it); null and a reason otherwise.
    /// </summary>
    public static QrClaims? ReadClaims(byte[] payload, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(payload);
        failure = CheckShape(payload);
        if (failure is not null)
        {
            return null;
        }

        failure = "malformed QR claims";
        try
        {
            var reader = new CborReader(payload, CborConformanceMode.Strict);
            long? exp = null, nbf = null;
            (string Id, string Name, byte[]? Binding, byte[]? Salt, string ListId, int Index)? own = null;
            var count = reader.ReadStartMap();
            if (count != 3)
            {
                return null;
            }

            for (var i = 0; i < 3; i++)
            {
                switch (reader.ReadInt64())
                {
                    case ClaimExpiry when exp is null: exp = reader.ReadInt64(); break;
                    case ClaimNotBefore when nbf is null: nbf = reader.ReadInt64(); break;
                    case ClaimsKey when own is null: own = ReadOwnClaims(reader); break;
                    default: return null;
                }
            }

            reader.ReadEndMap();
            if (reader.BytesRemaining != 0 || own is not { } o || exp is not ({ } notAfter and >= 0 and <= MaxUnixSeconds)
                || nbf is not ({ } notBefore and >= 0 and <= MaxUnixSeconds))
            {
                return null;
            }

            // The id holds the type and issuer codes (SPEC §2): {type, 21}.{issuer, 18}.{serial}… once the root is put back.
            const int TypeLength = 21, IssuerLength = 18;
            if (o.Id.Length < TypeLength + IssuerLength + 3 || o.Id[TypeLength] != '.' || o.Id[TypeLength + 1 + IssuerLength] != '.')
            {
                failure = "malformed certificate id in QR";
                return null;
            }

            failure = null;
            return new QrClaims(IdRoot + o.Id, o.Id[..TypeLength], o.Id.Substring(TypeLength + 1, IssuerLength), o.Name,
                DateTimeOffset.FromUnixTimeSeconds(notBefore), DateTimeOffset.FromUnixTimeSeconds(notAfter), o.ListId, o.Index)
            {
                HolderBinding = o.Binding is null ? null : Base64Url.Encode(o.Binding),
                HolderSalt = o.Salt is null ? null : Base64Url.Encode(o.Salt),
            };
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            return null;
        }
    }

    private static (string, string, byte[]?, byte[]?, string, int)? ReadOwnClaims(CborReader reader)
    {
        // A citizen's claims have 5 entries; an organisation's 3: no binding (3) or salt (4), its name unmasked. The
        // credit code is left out: with it a dual-signed licence QR was version 17-Q (SPEC §5: at most 16); the id,
        // name, issuer and status identify the licence, and an online check (JWS, online QR) shows the code.
        var count = reader.ReadStartMap();
        if (count is not (3 or 5))
        {
            return null;
        }

        string? id = null, name = null, listId = null;
        byte[]? binding = null, salt = null;
        int? index = null;
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadInt32())
            {
                case 1 when id is null: id = reader.ReadTextString(); break;
                case 2 when name is null: name = reader.ReadTextString(); break;
                case 3 when binding is null: binding = reader.ReadByteString(); break;
                case 4 when salt is null: salt = reader.ReadByteString(); break;
                case 5 when listId is null:
                    if (reader.ReadStartArray() != 2)
                    {
                        return null;
                    }

                    listId = reader.ReadTextString();
                    index = checked((int)reader.ReadUInt32());
                    reader.ReadEndArray();
                    break;
                default: return null;
            }
        }

        reader.ReadEndMap();
        var bound = count == 5 ? binding is { Length: BindingLength } && salt is { Length: BindingLength } : binding is null && salt is null;
        return bound && id is { Length: > 0 } && name is not null && listId is not null
            ? (id, name, binding, salt, listId, index!.Value)
            : null;
    }

    private static CoseQrMessage? ReadCose(byte[] cose, out string? failure)
    {
        var reader = new CborReader(cose, CborConformanceMode.Strict);
        if (reader.PeekState() != CborReaderState.Tag)
        {
            failure = "untagged COSE object (expected tag 98 COSE_Sign or 18 COSE_Sign1)";
            return null;
        }

        var tag = (ulong)reader.ReadTag();
        if (tag is not (SignTag or Sign1Tag))
        {
            failure = $"wrong COSE tag {tag} (expected 98 COSE_Sign or 18 COSE_Sign1)";
            return null;
        }

        failure = "malformed COSE structure";
        if (reader.ReadStartArray() != 4)
        {
            return null;
        }

        var firstProtected = reader.ReadByteString();
        var firstUnprotected = ReadUnprotected(reader);
        if (reader.PeekState() != CborReaderState.ByteString)
        {
            failure = "detached or missing COSE payload";
            return null;
        }

        var payload = reader.ReadByteString();
        List<CoseQrSigner> signers = [];
        byte[]? bodyProtected = null;
        if (tag == Sign1Tag)
        {
            signers.Add(Signer(firstProtected, firstUnprotected, reader.ReadByteString()));
        }
        else
        {
            if (firstProtected.Length != 0 || firstUnprotected is not { Count: 0 })
            {
                failure = "COSE_Sign body headers must be empty";
                return null;
            }

            bodyProtected = firstProtected;
            var count = reader.ReadStartArray();
            if (count is null or 0 or > MaxSigners)
            {
                failure = count is 0 ? JwsReasons.NoSignatures : JwsReasons.TooManySignatures;
                return null;
            }

            if (count == 1)
            {
                // One suite is a COSE_Sign1; a COSE_Sign left with one signer had the others stripped.
                failure = OneSignerInSign;
                return null;
            }

            for (var i = 0; i < count; i++)
            {
                if (reader.ReadStartArray() != 3)
                {
                    return null;
                }

                var signProtected = reader.ReadByteString();
                var unprotected = ReadUnprotected(reader);
                signers.Add(Signer(signProtected, unprotected, reader.ReadByteString()));
                reader.ReadEndArray();
            }

            reader.ReadEndArray();
        }

        reader.ReadEndArray();
        if (reader.BytesRemaining != 0)
        {
            return null;
        }

        if (signers.Where(s => s.Algorithm is not null).GroupBy(s => s.Algorithm).Any(g => g.Count() > 1))
        {
            failure = "COSE_Sign signers must use different algorithms";
            return null;
        }

        failure = null;
        return new CoseQrMessage(bodyProtected, payload, signers);
    }

    // The unprotected header: an int-keyed map (other key types are malformed); null when not a map.
    private static Dictionary<long, byte[]?>? ReadUnprotected(CborReader reader)
    {
        if (reader.PeekState() != CborReaderState.StartMap)
        {
            return null;
        }

        var count = reader.ReadStartMap() ?? throw new FormatException("indefinite header map");
        var map = new Dictionary<long, byte[]?>();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadInt64();
            map[key] = reader.PeekState() == CborReaderState.ByteString ? reader.ReadByteString() : SkipToNull(reader);
        }

        reader.ReadEndMap();
        return map;
    }

    private static byte[]? SkipToNull(CborReader reader)
    {
        reader.SkipValue();
        return null;
    }

    private static CoseQrSigner Signer(byte[] protectedHeader, Dictionary<long, byte[]?>? unprotected, byte[] signature)
    {
        long? algorithm = null;
        string? failure = null;
        try
        {
            var reader = new CborReader(protectedHeader, CborConformanceMode.Strict);
            if (reader.ReadStartMap() == 1 && reader.ReadInt64() == HeaderAlgorithm)
            {
                algorithm = reader.ReadInt64();
                reader.ReadEndMap();
            }

            if (reader.BytesRemaining != 0)
            {
                algorithm = null;
            }
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            algorithm = null;
        }

        string? keyId = null;
        if (algorithm is null)
        {
            failure = JwsReasons.MalformedHeader;
        }
        else if (AlgorithmName(algorithm.Value) is null)
        {
            failure = JwsReasons.UnsupportedAlgorithm;
        }
        else if (unprotected is null || unprotected.Count != 1 || !unprotected.TryGetValue(HeaderKeyId, out var kid) || kid is not { Length: KeyIdLength })
        {
            failure = JwsReasons.MissingKeyId;
        }
        else
        {
            keyId = Base64Url.Encode(kid);
        }

        return new CoseQrSigner(algorithm is { } a ? AlgorithmName(a) : null, keyId, protectedHeader, signature, failure);
    }

    // Walks the whole item once, counting depth and items, before anything interprets it.
    private static string? CheckShape(byte[] cbor)
    {
        try
        {
            var reader = new CborReader(cbor, CborConformanceMode.Lax);
            var depth = 0;
            var items = 0;
            while (true)
            {
                var tagged = false;
                switch (reader.PeekState())
                {
                    case CborReaderState.StartArray:
                        reader.ReadStartArray();
                        depth++;
                        break;
                    case CborReaderState.StartMap:
                        reader.ReadStartMap();
                        depth++;
                        break;
                    case CborReaderState.EndArray:
                        reader.ReadEndArray();
                        depth--;
                        break;
                    case CborReaderState.EndMap:
                        reader.ReadEndMap();
                        depth--;
                        break;
                    case CborReaderState.Tag:
                        reader.ReadTag();
                        tagged = true;
                        break;
                    default:
                        reader.SkipValue();
                        break;
                }

                if (depth > MaxDepth)
                {
                    return "CBOR nested too deeply";
                }

                if (++items > MaxItems)
                {
                    return "too many CBOR items";
                }

                if (depth == 0 && !tagged)
                {
                    break;
                }
            }

            return reader.BytesRemaining == 0 ? null : "trailing bytes after the COSE object";
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            return "malformed CBOR";
        }
    }

    private static byte[]? Inflate(byte[] compressed, int length, out string? failure)
    {
        failure = null;
        // Pooled: a verifier inflates on every request, and this buffer was a quarter of what a verification allocated.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(MaxInflatedLength + 1);
        try
        {
            using var input = new MemoryStream(compressed, 0, length, writable: false);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            var total = 0;
            int read;
            while (total <= MaxInflatedLength && (read = zlib.Read(buffer, total, MaxInflatedLength + 1 - total)) > 0)
            {
                total += read;
            }

            if (total > MaxInflatedLength)
            {
                failure = "too large once inflated";
                return null;
            }

            // The inflater stops at the end of the data without reading a cut-off trailer: check it here, so a
            // truncated text never reads as whole.
            if (total == 0 || length < 6
                || System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(compressed.AsSpan(length - 4, 4)) != Adler32(buffer.AsSpan(0, total)))
            {
                failure = "truncated or corrupt zlib stream";
                return null;
            }

            return buffer[..total];
        }
        catch (InvalidDataException)
        {
            failure = "malformed zlib stream";
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // RFC 1950 §8.2, reduced once at the end: over at most MaxInflatedLength bytes neither sum can overflow 32 bits
    // (b ≤ 1 + 255·n(n+1)/2 < 2^32 for n ≤ 5,552, zlib's NMAX), and a division per byte cost more than the inflating.
    private static uint Adler32(ReadOnlySpan<byte> data)
    {
        System.Diagnostics.Debug.Assert(data.Length <= 5552, "zlib's NMAX");
        uint a = 1, b = 0;
        foreach (var value in data)
        {
            a += value;
            b += a;
        }

        return ((b % 65521) << 16) | (a % 65521);
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] WriteClaims(QrClaims claims, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> holderBinding)
    {
        var writer = new CborWriter();
        writer.WriteStartMap(3);
        writer.WriteInt32(ClaimExpiry);
        writer.WriteInt64(claims.NotAfter.ToUnixTimeSeconds());
        writer.WriteInt32(ClaimNotBefore);
        writer.WriteInt64(claims.NotBefore.ToUnixTimeSeconds());
        writer.WriteInt32(ClaimsKey);
        var organization = claims.HolderCreditCode;
        writer.WriteStartMap(organization is null ? 5 : 3);
        writer.WriteInt32(1);
        writer.WriteTextString(claims.Id.AsSpan(IdRoot.Length));
        writer.WriteInt32(2);
        writer.WriteTextString(organization is null ? HolderMasking.MaskName(claims.MaskedName) : claims.MaskedName);
        if (organization is null)
        {
            writer.WriteInt32(3);
            writer.WriteByteString(holderBinding);
            writer.WriteInt32(4);
            writer.WriteByteString(salt);
        }

        writer.WriteInt32(5);
        writer.WriteStartArray(2);
        writer.WriteTextString(claims.StatusListId);
        writer.WriteUInt32(checked((uint)claims.StatusIndex));
        writer.WriteEndArray();
        writer.WriteEndMap();
        writer.WriteEndMap();
        return writer.Encode();
    }

    private static byte[] ProtectedHeader(JwsSigner signer)
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteInt32(HeaderAlgorithm);
        writer.WriteInt32(signer.Algorithm switch
        {
            Es256Suite.AlgorithmName => Es256Algorithm,
            "SM2" => Sm2Algorithm,
            _ => throw new ArgumentException($"No COSE algorithm for {signer.Algorithm}.", nameof(signer)),
        });
        writer.WriteEndMap();
        return writer.Encode();
    }

    private static void WriteKeyId(CborWriter writer, JwsSigner signer)
    {
        writer.WriteStartMap(1);
        writer.WriteInt32(HeaderKeyId);
        writer.WriteByteString(Base64Url.Decode(signer.KeyId));
        writer.WriteEndMap();
    }
}

/// <summary>A decoded format-2 QR, signatures not yet checked.</summary>
/// <param name="BodyProtected">The body protected header of a COSE_Sign (empty); null for a COSE_Sign1.</param>
/// <param name="Payload">The CWT claims, CBOR.</param>
/// <param name="Signers">One entry per signer, in order.</param>
public sealed record CoseQrMessage(byte[]? BodyProtected, byte[] Payload, IReadOnlyList<CoseQrSigner> Signers);

/// <summary>One signer of a format-2 QR.</summary>
/// <param name="Algorithm">JOSE name of its COSE <c>alg</c>, when known.</param>
/// <param name="KeyId">JOSE <c>kid</c> (base64url of the 8 raw bytes), when well formed.</param>
/// <param name="ProtectedHeader">Its protected header bytes, as signed.</param>
/// <param name="Signature">Its signature bytes.</param>
/// <param name="Failure">Why its headers are unusable; null when they are well formed.</param>
public sealed record CoseQrSigner(string? Algorithm, string? KeyId, byte[] ProtectedHeader, byte[] Signature, string? Failure);
