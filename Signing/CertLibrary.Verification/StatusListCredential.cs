using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Identifiers;
using CertLibrary.Signing;

namespace CertLibrary.Verification;

/// <summary>
/// W3C Bitstring Status List (v1.0) credentials: <c>encodedList</c> is multibase base64url (<c>u</c> prefix) of the
/// GZIP-compressed bitstring, index 0 being the most significant bit of the first byte. Signed as a JWS JSON
/// General Serialization by the platform root keys with <c>typ</c> <see cref="JwsType"/>.
/// </summary>
/// <remarks>
/// Two purposes per list: <c>revocation</c> has a bit set for every certificate that is revoked <em>or</em>
/// suspended (so a verifier that fetches only it never accepts a suspended certificate), and <c>suspension</c>
/// has a bit set only for suspended ones, which lets a verifier tell the two apart.
/// </remarks>
public static class StatusListCredential
{
    /// <summary>The <c>typ</c> of a status list JWS.</summary>
    public const string JwsType = "certlib-status-list+json";

    /// <summary>Entries per list (W3C minimum, and the CertLibrary list capacity).</summary>
    public const int MinimumLength = 131_072;

    /// <summary>Purpose of the list whose bits mean revoked or suspended.</summary>
    public const string Revocation = "revocation";

    /// <summary>Purpose of the list whose bits mean suspended.</summary>
    public const string Suspension = "suspension";

    /// <summary>Largest compressed list accepted when reading.</summary>
    public const int MaxEncodedLength = 2 * 1024 * 1024;

    /// <summary>Sets bit <paramref name="index"/> (W3C order: most significant bit first).</summary>
    public static void SetBit(byte[] bits, int index)
    {
        ArgumentNullException.ThrowIfNull(bits);
        bits[index / 8] |= (byte)(0x80 >> (index % 8));
    }

    /// <summary>Reads bit <paramref name="index"/>; false when outside the list.</summary>
    public static bool GetBit(byte[] bits, int index) =>
        index >= 0 && index / 8 < bits.Length && (bits[index / 8] & (0x80 >> (index % 8))) != 0;

    /// <summary>Encodes a bitstring: <c>u</c> + base64url(GZIP(bits)).</summary>
    public static string Encode(byte[] bits)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(bits);
        }

        return "u" + Base64Url.Encode(buffer.ToArray());
    }

    /// <summary>Decodes <c>encodedList</c> (with or without the multibase <c>u</c>), refusing decompression bombs.</summary>
    public static byte[]? Decode(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded) || encoded.Length > MaxEncodedLength)
        {
            return null;
        }

        var text = encoded[0] == 'u' ? encoded.AsSpan(1) : encoded.AsSpan();
        if (!Base64Url.TryDecode(text, out var compressed))
        {
            return null;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = gzip.Read(chunk)) > 0)
            {
                if (output.Length + read > 16 * MinimumLength)
                {
                    return null;
                }

                output.Write(chunk, 0, read);
            }

            return output.Length * 8 >= MinimumLength ? output.ToArray() : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Builds the unsigned credential.</summary>
    public static JsonObject Build(string url, string issuer, string listId, string purpose, byte[] bits, DateTimeOffset validFrom, DateTimeOffset validUntil)
    {
        ArgumentNullException.ThrowIfNull(bits);
        return new JsonObject
        {
            ["@context"] = new JsonArray("https://www.w3.org/ns/credentials/v2"),
            ["id"] = url,
            ["type"] = new JsonArray("VerifiableCredential", "BitstringStatusListCredential"),
            ["issuer"] = issuer,
            ["validFrom"] = Rfc3339.Format(validFrom),
            ["validUntil"] = Rfc3339.Format(validUntil),
            ["credentialSubject"] = new JsonObject
            {
                ["id"] = url + "#list",
                ["type"] = "BitstringStatusList",
                ["statusPurpose"] = purpose,
                ["listId"] = listId,
                ["encodedList"] = Encode(bits),
            },
        };
    }

    /// <summary>
    /// Verifies a signed status list against platform root keys (every signature must verify with a key owned by
    /// the platform) and reads it. Returns <see langword="null"/> with a reason when it fails.
    /// </summary>
    public static StatusList? Read(JsonNode? signed, IJwsKeyResolver resolver, out string? failure)
    {
        var jws = Jws.VerifyGeneral(signed, resolver);
        if (!jws.IsValid)
        {
            failure = "status list signature invalid: " + string.Join(", ", jws.Reasons);
            return null;
        }

        if (jws.Signatures.Any(s => s.Type != JwsType || s.Key?.OwnerCode != SigningKeyRecord.PlatformOwner))
        {
            failure = "status list not signed by the platform";
            return null;
        }

        try
        {
            if (JsonNode.Parse(jws.Payload, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) is JsonObject credential
                && credential["credentialSubject"] is JsonObject subject
                && subject["listId"]?.GetValueKind() == JsonValueKind.String
                && subject["statusPurpose"]?.GetValueKind() == JsonValueKind.String
                && subject["encodedList"]?.GetValueKind() == JsonValueKind.String
                && Rfc3339.TryParse(credential["validUntil"]?.GetValueKind() == JsonValueKind.String ? credential["validUntil"]!.GetValue<string>() : null, out var validUntil)
                && Decode(subject["encodedList"]!.GetValue<string>()) is { } bits)
            {
                failure = null;
                return new StatusList(subject["listId"]!.GetValue<string>(), subject["statusPurpose"]!.GetValue<string>(), bits, validUntil);
            }
        }
        catch (JsonException)
        {
            // falls through to the failure below
        }

        failure = "malformed status list";
        return null;
    }

    /// <summary>A strong ETag over purpose, list and bits.</summary>
    public static string ETagOf(string listId, string purpose, byte[] bits)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(listId + "\n" + purpose + "\n"));
        hash.AppendData(bits);
        return "\"" + Base64Url.Encode(hash.GetHashAndReset().AsSpan(0, 16)) + "\"";
    }
}

/// <summary>A verified, decoded status list.</summary>
/// <param name="ListId">The list identifier (<c>sl.l</c>).</param>
/// <param name="Purpose"><c>revocation</c> or <c>suspension</c>.</param>
/// <param name="Bits">The bitstring.</param>
/// <param name="ValidUntil">When a fresher list is due.</param>
public sealed record StatusList(string ListId, string Purpose, byte[] Bits, DateTimeOffset ValidUntil)
{
    /// <summary>Whether the bit of <paramref name="index"/> is set.</summary>
    public bool IsSet(int index) => StatusListCredential.GetBit(Bits, index);
}
