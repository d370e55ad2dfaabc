using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Signing;

namespace CertLibrary.Verification;

/// <summary>
/// Verifies an offline QR (<c>CL1:</c> + compact JWS) or a certificate signature (JWS JSON with both ES256 and SM2)
/// against trust keys and a status source. Used by the API (live store status) and by the offline verifier
/// (downloaded trust list and status lists). Never throws on hostile input: every failure is a result with reasons.
/// </summary>
public sealed class CertificateVerifier(IJwsKeyResolver keys, ICertificateStatusSource status)
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

        if (!text.StartsWith(OfflineQr.Prefix, StringComparison.Ordinal))
        {
            return Fail(now, "not a CertLibrary QR (expected prefix CL1:)");
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
        return await ConcludeAsync(jws, masked, claims.StatusListId, claims.StatusIndex, now, cancellationToken);
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
                var masked = new MaskedCertificate(id, typeCode, issuerCode, Str(issuer, "name"), HolderMasking.MaskName(name), validFrom, validUntil);
                return await ConcludeAsync(jws, masked, listId, index, now, cancellationToken);
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

        return trimmed.StartsWith(OfflineQr.Prefix, StringComparison.Ordinal)
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
        JwsVerificationResult jws, MaskedCertificate masked, string listId, int index, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reasons = new List<string>();
        foreach (var signature in jws.Signatures)
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

    private static QrClaims? ReadQrClaims(byte[] payload)
    {
        try
        {
            if (JsonNode.Parse(payload, documentOptions: ParseOptions) is not JsonObject o || o.Count != 9
                || Str(o, "id") is not { } id || Str(o, "t") is not { } t || Str(o, "iss") is not { } iss
                || Str(o, "n") is not { } n || Str(o, "hb") is not { } hb || Str(o, "hs") is not { } hs
                || o["nbf"] is not JsonValue nbfValue || !nbfValue.TryGetValue<long>(out var nbf)
                || o["exp"] is not JsonValue expValue || !expValue.TryGetValue<long>(out var exp)
                || o["sl"] is not JsonObject sl || Str(sl, "l") is not { } l
                || sl["i"] is not JsonValue iValue || !iValue.TryGetValue<int>(out var i)
                || nbf is < 0 or > 253402300799 || exp is < 0 or > 253402300799)
            {
                return null;
            }

            return new QrClaims(id, t, iss, n, DateTimeOffset.FromUnixTimeSeconds(nbf), DateTimeOffset.FromUnixTimeSeconds(exp), l, i)
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

    private static string? Str(JsonObject node, string name) =>
        node[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static VerificationReport Fail(DateTimeOffset now, string reason) => new(VerificationResults.Invalid, [reason], null, now);
}
