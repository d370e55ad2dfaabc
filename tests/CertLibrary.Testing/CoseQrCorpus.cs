using System.Formats.Cbor;
using System.IO.Compression;
using System.Security.Cryptography;
using CertLibrary.Signing;
using CertLibrary.Verification;
using SimpleBase;

namespace CertLibrary.Testing;

/// <summary>
/// Hostile format-2 QR texts (SPEC §5), built from a genuine dual-signed QR so that the altered ones carry real
/// signatures: the verifier library and <c>POST /api/v1/verify</c> run the same corpus and must answer each with
/// <c>invalid</c> and a reason.
/// </summary>
public static class CoseQrCorpus
{
    /// <summary>The COSE object inside a format-2 QR text.</summary>
    public static byte[] Cose(string text)
    {
        using var zlib = new ZLibStream(new MemoryStream(Base45.Default.Decode(text.AsSpan(CoseQr.Prefix.Length))), CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>The format-2 QR text of a COSE object (or of any bytes).</summary>
    public static string Text(byte[] cose)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(cose);
        }

        return CoseQr.Prefix + Base45.Default.Encode(output.ToArray());
    }

    /// <summary>
    /// Re-encodes a COSE_Sign: <paramref name="signers"/> picks, in order, which of its signers to keep (by index),
    /// <paramref name="change"/> may replace a kept signer's kid and signature, <paramref name="bodyProtected"/> the body's protected header.
    /// </summary>
    public static byte[] Rewrite(
        byte[] cose, IReadOnlyList<int> signers, Func<int, (byte[]? KeyId, byte[]? Signature)>? change = null, byte[]? bodyProtected = null)
    {
        var reader = new CborReader(cose);
        var writer = new CborWriter();
        writer.WriteTag(reader.ReadTag());
        writer.WriteStartArray(reader.ReadStartArray());
        var originalBody = reader.ReadByteString();
        writer.WriteByteString(bodyProtected ?? originalBody);
        writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
        writer.WriteByteString(reader.ReadByteString());
        var count = reader.ReadStartArray()!.Value;
        var original = new List<(byte[] Protected, ReadOnlyMemory<byte> Unprotected, byte[] Signature)>();
        for (var i = 0; i < count; i++)
        {
            reader.ReadStartArray();
            original.Add((reader.ReadByteString(), reader.ReadEncodedValue(), reader.ReadByteString()));
            reader.ReadEndArray();
        }

        writer.WriteStartArray(signers.Count);
        foreach (var i in signers)
        {
            var (keyId, signature) = change?.Invoke(i) ?? (null, null);
            writer.WriteStartArray(3);
            writer.WriteByteString(original[i].Protected);
            if (keyId is null)
            {
                writer.WriteEncodedValue(original[i].Unprotected.Span);
            }
            else
            {
                writer.WriteStartMap(1);
                writer.WriteInt32(4);
                writer.WriteByteString(keyId);
                writer.WriteEndMap();
            }

            writer.WriteByteString(signature ?? original[i].Signature);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndArray();
        return writer.Encode();
    }

    /// <summary>
    /// The corpus: name, text and a fragment of the reason the verifier must give (empty: any reason). <paramref name="genuine"/>
    /// is a valid dual-signed (COSE_Sign) QR text.
    /// </summary>
    public static IReadOnlyList<(string Name, string Text, string Reason)> Hostile(string genuine)
    {
        var cose = Cose(genuine);
        var payloadAltered = (byte[])cose.Clone();
        payloadAltered[payloadAltered.AsSpan().IndexOf("张*三"u8) + 1] ^= 0x01;
        var thousand = new int[1000];
        var deep = Enumerable.Repeat((byte)0x81, 4000).Append((byte)0x00).ToArray();
        return
        [
            ("bad base45", CoseQr.Prefix + "::::", "malformed base45"),
            ("characters outside base45", CoseQr.Prefix + new string('~', 40), "malformed base45"),
            ("lower-case base45", genuine[..4] + genuine[4..].ToLowerInvariant(), "malformed base45"),
            ("base45 value over 65535", CoseQr.Prefix + "GGW", "malformed base45"),
            ("odd base45 length", CoseQr.Prefix + "A", "malformed base45"),
            ("empty", CoseQr.Prefix, "zlib"),
            ("too long", CoseQr.Prefix + new string('0', CoseQr.MaxLength), JwsReasons.TooLarge),
            ("not zlib", CoseQr.Prefix + Base45.Default.Encode("not zlib at all"u8.ToArray()), "zlib"),
            ("zlib bomb", Text(new byte[1_000_000]), "too large once inflated"),
            ("zlib bomb of a COSE prefix", Text([.. cose[..8], .. new byte[100_000]]), "too large once inflated"),
            ("zlib checksum wrong", ChecksumBroken(cose), "zlib"),
            ("deep CBOR", Text(deep), "CBOR nested too deeply"),
            ("wrong tag", Text(Tagged(61, cose)), "wrong COSE tag 61"),
            ("tag 98 read as COSE_Sign1", Text([0xD2, .. cose[2..]]), ""),
            ("untagged", Text(cose[2..]), "untagged COSE object"),
            ("signer list of 1,000 genuine signers", Text(Rewrite(cose, thousand)), "too large once inflated"),
            ("signer list of 1,000 small signers", Text(ThousandSmallSigners()), "too many CBOR items"),
            ("five genuine signers", Text(Rewrite(cose, [0, 1, 0, 1, 0])), JwsReasons.TooManySignatures),
            ("garbage signature beside a genuine one", Text(Rewrite(cose, [0, 1], i => (null, i == 1 ? RandomNumberGenerator.GetBytes(64) : null))), JwsReasons.SignatureMismatch),
            ("garbage signer (unknown kid) beside a genuine one", Text(Rewrite(cose, [0, 1], i => (i == 0 ? RandomNumberGenerator.GetBytes(8) : null, i == 0 ? RandomNumberGenerator.GetBytes(64) : null))), JwsReasons.UnknownKeyId),
            ("signature cut short", Text(Rewrite(cose, [0, 1], i => (null, i == 0 ? cose[^40..] : null))), JwsReasons.SignatureMismatch),
            ("body protected header not empty", Text(Rewrite(cose, [0, 1], bodyProtected: [0xA0])), "body headers must be empty"),
            ("second signer stripped", Text(Rewrite(cose, [0])), "COSE_Sign with one signer"),
            ("first signer twice", Text(Rewrite(cose, [0, 0])), "different algorithms"),
            ("payload altered", Text(payloadAltered), JwsReasons.SignatureMismatch),
            ("trailing bytes", Text([.. cose, 0x00]), "trailing bytes"),
            ("truncated COSE", Text(cose[..^5]), ""),
            ("truncated text", genuine[..^3], ""),
            ("one character changed", genuine[..^10] + (genuine[^10] == '0' ? '1' : '0') + genuine[^9..], ""),
            ("indefinite maps", Text([0xD2, 0x84, 0x43, 0xA1, 0x01, 0x26, 0xBF, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x41, 0xA0, 0x40]), "malformed"),
        ];
    }

    // A COSE_Sign whose 1,000 signers are [h'', {}, h''] each, over an empty map: small enough to inflate, stopped by the item cap.
    private static byte[] ThousandSmallSigners()
    {
        var writer = new CborWriter();
        writer.WriteTag((CborTag)CoseQr.SignTag);
        writer.WriteStartArray(4);
        writer.WriteByteString([]);
        writer.WriteStartMap(0);
        writer.WriteEndMap();
        writer.WriteByteString([0xA0]);
        writer.WriteStartArray(1000);
        for (var i = 0; i < 1000; i++)
        {
            writer.WriteEncodedValue([0x83, 0x40, 0xA0, 0x40]);
        }

        writer.WriteEndArray();
        writer.WriteEndArray();
        return writer.Encode();
    }

    private static byte[] Tagged(ulong tag, byte[] cose)
    {
        var writer = new CborWriter();
        writer.WriteTag((CborTag)tag);
        writer.WriteEncodedValue(cose.AsSpan(2));
        return writer.Encode();
    }

    private static string ChecksumBroken(byte[] cose)
    {
        var compressed = Base45.Default.Decode(Text(cose).AsSpan(CoseQr.Prefix.Length));
        compressed[^1] ^= 0x01;
        return CoseQr.Prefix + Base45.Default.Encode(compressed);
    }
}
