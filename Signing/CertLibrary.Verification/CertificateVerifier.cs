using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Identifiers;
using CertLibrary.Signing;

namespace CertLibrary.Verification;

/// <summary>
/// Verifies an offline QR (format 2, <c>CL2:</c> + base45 COSE; format 1, <c>CL1:</c> + compact JWS) or a certificate signature (JWS JSON with both ES256 and SM2)
/// against trust keys and a status source. Used by the API (live store status) and by the offline verifier
/// (downloaded trust list and status lists). Never throws on hostile input: every failure is a result with reasons.
/// </summary>
public sealed partial class CertificateVerifier(IJwsKeyResolver keys, ICertificateStatusSource status)
{
    /// <summary>The <c>typ</c> of a certificate signature.</summary>
    public const string CertificateJwsType = "certlib-cert+json";

    /// <summary>Both suites a certificate signature must carry (SPEC §4).</summary>
    public static readonly IReadOnlyList<string> RequiredAlgorithms = ["ES256", "SM2"];

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 16 };

    /// <summary>Verifies the text of an offline QR.</summary>
    public async Task<VerificationReport> VerifyQrAsync(string? text, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Fail(now, "empty QR text");
        }

        if (text.Length > OfflineQr.MaxLength)
        {
            return Fail(now, JwsReasons.TooLarge);
        }

        if (text.StartsWith(CoseQr.Prefix, StringComparison.Ordinal))
        {
            return await VerifyCoseQrAsync(text, keys, now, cancellationToken);
        }

        if (!text.StartsWith(OfflineQr.Prefix, StringComparison.Ordinal))
        {
            return Fail(now, "not a CertLibrary QR (expected prefix CL2: or CL1:)");
        }

        return await VerifyCompactAsync(text[OfflineQr.Prefix.Length..].Trim(), now, cancellationToken);
    }

    /// <summary>Verifies a compact QR JWS (without the <c>CL1:</c> prefix).</summary>
    public async Task<VerificationReport> VerifyCompactAsync(string? compact, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var jws = Jws.VerifyCompact(compact, keys);
        if (Rejected(jws, now) is { } rejected)
        {
            return rejected;
        }

        var signature = jws.Signatures[0];
        if (signature.Type != OfflineQr.JwsType)
        {
            return Fail(now, "unexpected typ (expected " + OfflineQr.JwsType + ")");
        }

        var claims = ReadQrClaims(jws.Payload!);
        if (claims is null)
        {
            return Fail(now, "malformed QR payload");
        }

        var masked = new MaskedCertificate(claims.Id, claims.TypeCode, claims.IssuerCode, null, claims.MaskedName, claims.NotBefore, claims.NotAfter)
        {
            HolderBinding = claims.HolderBinding,
            HolderSalt = claims.HolderSalt,
        };
        return await ConcludeAsync(jws.Signatures, masked, claims.StatusListId, claims.StatusIndex, now, cancellationToken);
    }

    /// <summary>Verifies a certificate signature, JWS JSON General Serialization; both ES256 and SM2 must verify.</summary>
    public async Task<VerificationReport> VerifyCertificateJwsAsync(JsonNode? document, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var jws = Jws.VerifyGeneral(document, keys, RequiredAlgorithms);
        if (Rejected(jws, now) is { } rejected)
        {
            return rejected;
        }

        if (jws.Signatures.Any(s => s.Type != CertificateJwsType))
        {
            return Fail(now, "unexpected typ (expected " + CertificateJwsType + ")");
        }

        if (jws.Signatures.Select(s => s.Key!.OwnerCode).Distinct(StringComparer.Ordinal).Count() != 1)
        {
            return Fail(now, "signatures by keys of different owners");
        }

        try
        {
            if (JsonNode.Parse(jws.Payload, documentOptions: ParseOptions) is JsonObject payload
                && Str(payload, "id") is { } id
                && Str(payload, "typeCode") is { } typeCode
                && payload["issuer"] is JsonObject issuer && Str(issuer, "code") is { } issuerCode
                && payload["holder"] is JsonObject holder && Str(holder, "name") is { } name
                && Rfc3339.TryParse(Str(payload, "validFrom"), out var validFrom)
                && payload["statusList"] is JsonObject slot && Str(slot, "listId") is { } listId
                && slot["index"] is JsonValue indexValue && indexValue.TryGetValue<int>(out var index))
            {
                DateTimeOffset? validUntil = Rfc3339.TryParse(Str(payload, "validUntil"), out var until) ? until : null;
                // An organisation (holder {creditCode, name}) is a public registration: its name is not masked.
                var creditCode = Str(holder, "creditCode");
                var masked = new MaskedCertificate(id, typeCode, issuerCode, Str(issuer, "name"), creditCode is null ? HolderMasking.MaskName(name) : name, validFrom, validUntil)
                {
                    HolderCreditCode = creditCode,
                };
                return await ConcludeAsync(jws.Signatures, masked, listId, index, now, cancellationToken);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // falls through
        }

        return Fail(now, "malformed certificate payload");
    }

    /// <summary>Verifies a compact JWS string or JWS JSON document given as text.</summary>
    public Task<VerificationReport> VerifyJwsTextAsync(string? text, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (text is null)
        {
            return Task.FromResult(Fail(now, "no JWS"));
        }

        var trimmed = text.Trim();
        if (trimmed.StartsWith('{'))
        {
            if (trimmed.Length > Jws.MaxJsonLength)
            {
                return Task.FromResult(Fail(now, JwsReasons.TooLarge));
            }

            try
            {
                return VerifyCertificateJwsAsync(JsonNode.Parse(trimmed, documentOptions: ParseOptions), now, cancellationToken);
            }
            catch (JsonException)
            {
                return Task.FromResult(Fail(now, JwsReasons.MalformedJson));
            }
        }

        return trimmed.StartsWith(OfflineQr.Prefix, StringComparison.Ordinal) || trimmed.StartsWith(CoseQr.Prefix, StringComparison.Ordinal)
            ? VerifyQrAsync(trimmed, now, cancellationToken)
            : VerifyCompactAsync(trimmed, now, cancellationToken);
    }

    private static VerificationReport? Rejected(JwsVerificationResult jws, DateTimeOffset now)
    {
        if (!jws.IsValid)
        {
            var unknown = jws.Signatures.Any(s => s.Reason == JwsReasons.UnknownKeyId);
            return new VerificationReport(unknown ? VerificationResults.UnknownIssuer : VerificationResults.Invalid, [.. jws.Reasons], null, now);
        }

        foreach (var signature in jws.Signatures)
        {
            if (signature.Key is { RevokedAt: { } revokedAt })
            {
                return Fail(now, $"issuer key {signature.KeyId} revoked at {Rfc3339.Format(revokedAt)}");
            }
        }

        return null;
    }

    private async Task<VerificationReport> ConcludeAsync(
        IReadOnlyList<JwsSignatureResult> signatures, MaskedCertificate masked, string listId, int index, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reasons = new List<string>();
        foreach (var signature in signatures)
        {
            if (signature.Key!.OwnerCode != masked.IssuerCode)
            {
                return Fail(now, $"signed by key {signature.KeyId} of another owner than the issuer {masked.IssuerCode}");
            }
        }

        if (!masked.Id.StartsWith($"1.2.156.3005.2.{masked.TypeCode}.{masked.IssuerCode}.", StringComparison.Ordinal))
        {
            return Fail(now, "certificate id does not match type and issuer");
        }

        if (now < masked.ValidFrom)
        {
            return new VerificationReport(VerificationResults.Invalid, ["not yet valid (valid from " + Rfc3339.Format(masked.ValidFrom) + ")"], masked, now);
        }

        var (state, note) = await status.GetStateAsync(masked.Id, listId, index, cancellationToken);
        if (note is not null)
        {
            reasons.Add(note);
        }

        var result = state switch
        {
            CertificateState.Revoked => VerificationResults.Revoked,
            CertificateState.Suspended => VerificationResults.Suspended,
            CertificateState.Unknown => VerificationResults.Invalid,
            _ when masked.ValidUntil is { } until && now >= until => VerificationResults.Expired,
            _ => VerificationResults.Valid,
        };
        switch (result)
        {
            case VerificationResults.Revoked:
                reasons.Insert(0, "certificate revoked");
                break;
            case VerificationResults.Suspended:
                reasons.Insert(0, "certificate suspended");
                break;
            case VerificationResults.Invalid:
                reasons.Insert(0, "no such certificate at this status entry");
                break;
            case VerificationResults.Expired:
                reasons.Insert(0, "expired at " + Rfc3339.Format(masked.ValidUntil!.Value));
                break;
            default:
                break;
        }

        return new VerificationReport(result, reasons, masked, now);
    }

    // One forward pass over the (signed) payload: exactly the nine members of SPEC §5, each once and of its type.
    private static QrClaims? ReadQrClaims(byte[] payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = ParseOptions.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? id = null, t = null, iss = null, n = null, hb = null, hs = null, l = null;
            long? nbf = null, exp = null;
            int? i = null;
            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var member = QrMember(ref reader);
                if (member < 0 || (seen & (1 << member)) != 0 || !reader.Read())
                {
                    return null;
                }

                seen |= 1 << member;
                switch (member)
                {
                    case 0: id = String(ref reader); break;
                    case 1: t = String(ref reader); break;
                    case 2: iss = String(ref reader); break;
                    case 3: n = String(ref reader); break;
                    case 4: hb = String(ref reader); break;
                    case 5: hs = String(ref reader); break;
                    case 6: nbf = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var nb) ? nb : null; break;
                    case 7: exp = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ex) ? ex : null; break;
                    default: (l, i) = ReadSlot(ref reader); break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()
                || id is null || t is null || iss is null || n is null || hb is null || hs is null || l is null
                || nbf is not { } notBefore || exp is not { } notAfter || i is not { } index
                || notBefore is < 0 or > 253402300799 || notAfter is < 0 or > 253402300799)
            {
                return null;
            }

            return new QrClaims(id, t, iss, n, DateTimeOffset.FromUnixTimeSeconds(notBefore), DateTimeOffset.FromUnixTimeSeconds(notAfter), l, index)
            {
                HolderBinding = hb,
                HolderSalt = hs,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static int QrMember(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? 0
        : reader.ValueTextEquals("t"u8) ? 1
        : reader.ValueTextEquals("iss"u8) ? 2
        : reader.ValueTextEquals("n"u8) ? 3
        : reader.ValueTextEquals("hb"u8) ? 4
        : reader.ValueTextEquals("hs"u8) ? 5
        : reader.ValueTextEquals("nbf"u8) ? 6
        : reader.ValueTextEquals("exp"u8) ? 7
        : reader.ValueTextEquals("sl"u8) ? 8
        : -1;

    private static string? String(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String ? reader.GetString() : null;

    // sl = {"l": listId, "i": index}; other members are skipped, a repeated one makes the slot unreadable.
    private static (string? ListId, int? Index) ReadSlot(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (null, null);
        }

        string? listId = null;
        int? index = null;
        bool seenList = false, seenIndex = false, repeated = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isList = reader.ValueTextEquals("l"u8);
            var isIndex = !isList && reader.ValueTextEquals("i"u8);
            reader.Read();
            if (isList)
            {
                repeated |= seenList;
                seenList = true;
                listId = String(ref reader);
            }
            else if (isIndex)
            {
                repeated |= seenIndex;
                seenIndex = true;
                index = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : null;
            }
            else
            {
                reader.Skip();
            }
        }

        return repeated ? (null, null) : (listId, index);
    }

    private static string? Str(JsonObject node, string name) =>
        node[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static VerificationReport Fail(DateTimeOffset now, string reason) => new(VerificationResults.Invalid, [reason], null, now);
}
