using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Signing;

namespace CertLibrary.Verification;

/// <summary>The offline QR (SPEC §5): <c>CL1:</c> + a compact JWS over a minimal, masked payload.</summary>
public static class OfflineQr
{
    /// <summary>Prefix of every offline QR text.</summary>
    public const string Prefix = "CL1:";

    /// <summary>The <c>typ</c> of the QR JWS.</summary>
    public const string JwsType = "certlib-qr+jwt";

    /// <summary>Longest QR text accepted by verifiers.</summary>
    public const int MaxLength = 4096;

    private static readonly JsonSerializerOptions PayloadOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Creates the QR text of a certificate. <c>NotAfter</c> is the certificate's <c>validUntil</c> or,
    /// for a certificate without end, a lifetime the caller chooses for the printed code.
    /// </summary>
    public static string Create(QrClaims claims, string idNumber, JwsSigner signer)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var salt = RandomNumberGenerator.GetBytes(HolderMasking.SaltLength);
        var payload = new JsonObject
        {
            ["id"] = claims.Id,
            ["t"] = claims.TypeCode,
            ["iss"] = claims.IssuerCode,
            ["n"] = HolderMasking.MaskName(claims.MaskedName),
            ["hb"] = HolderMasking.Bind(salt, idNumber),
            ["hs"] = Base64Url.Encode(salt),
            ["nbf"] = claims.NotBefore.ToUnixTimeSeconds(),
            ["exp"] = claims.NotAfter.ToUnixTimeSeconds(),
            ["sl"] = new JsonObject { ["l"] = claims.StatusListId, ["i"] = claims.StatusIndex },
        };
        var bytes = Encoding.UTF8.GetBytes(payload.ToJsonString(PayloadOptions));
        return Prefix + Jws.SignCompact(bytes, signer, JwsType);
    }

    /// <summary>
    /// The certificate id an offline QR claims, read WITHOUT verifying anything (so that a verifier can fetch what it
    /// needs for that certificate in one go); false when the text is not shaped like a QR with an <c>id</c>. Never
    /// trust the id for anything else: the signature is checked afterwards.
    /// </summary>
    public static bool TryReadUnverifiedId(string? text, [NotNullWhen(true)] out string? id)
    {
        id = null;
        if (text is null || text.Length > MaxLength || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var compact = text.AsSpan(Prefix.Length).Trim();
        var first = compact.IndexOf('.');
        var last = compact.LastIndexOf('.');
        if (first < 0 || last <= first || !Base64Url.TryDecode(compact[(first + 1)..last], out var payload))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isId)
                {
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    return id is not null;
                }

                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // not a QR payload
        }

        return false;
    }
}

/// <summary>The claims of an offline QR, as read or to be written.</summary>
/// <param name="Id">Certificate id.</param>
/// <param name="TypeCode">Type code (<c>t</c>).</param>
/// <param name="IssuerCode">Issuer code (<c>iss</c>).</param>
/// <param name="MaskedName">Holder name, masked when read (<c>n</c>); the full name when writing (masked on write).</param>
/// <param name="NotBefore"><c>nbf</c>.</param>
/// <param name="NotAfter"><c>exp</c>.</param>
/// <param name="StatusListId"><c>sl.l</c>.</param>
/// <param name="StatusIndex"><c>sl.i</c>.</param>
public sealed record QrClaims(
    string Id, string TypeCode, string IssuerCode, string MaskedName, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string StatusListId, int StatusIndex)
{
    /// <summary>Holder binding <c>hb</c> (set when read).</summary>
    public string? HolderBinding { get; init; }

    /// <summary>Salt <c>hs</c> (set when read).</summary>
    public string? HolderSalt { get; init; }

    /// <summary>
    /// The credit code of an organisation holder: set when writing a format-2 QR (then <see cref="MaskedName"/> is the
    /// organisation's full name and there is no holder binding) and when read from a certificate's JWS; a format-2 QR
    /// does not carry it (size), so it is null when read from one. Null for a citizen.
    /// </summary>
    public string? HolderCreditCode { get; init; }
}
