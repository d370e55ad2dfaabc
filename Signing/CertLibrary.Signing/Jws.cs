using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CertLibrary.Signing;

/// <summary>
/// JSON Web Signature (RFC 7515) in the compact and JSON (general and flattened) serializations, for the suites of
/// this library. Verification never throws on hostile input: sizes are capped before anything is decoded, JSON
/// depth is capped, and every failure is returned as a reason.
/// </summary>
public static class Jws
{
    /// <summary>Largest compact JWS accepted, in characters.</summary>
    public const int MaxCompactLength = 16 * 1024;

    /// <summary>Largest JWS JSON document accepted, in characters (UTF-16) or bytes.</summary>
    public const int MaxJsonLength = 64 * 1024;

    /// <summary>Most signatures a JWS JSON document may carry.</summary>
    public const int MaxSignatures = 8;

    /// <summary>Deepest JSON nesting accepted in a JWS document or protected header.</summary>
    public const int MaxDepth = 16;

    // The header is never embedded in HTML; relaxed escaping keeps "+" in typ values readable ("certlib-trust-list+json").
    private static readonly JsonWriterOptions HeaderWriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = MaxDepth };
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };
    private static readonly HashSet<string> SupportedAlgorithms = new(StringComparer.Ordinal) { Es256Suite.AlgorithmName, "SM2" };

    /// <summary>
    /// Signs <paramref name="payload"/> once per signer into a JWS JSON General Serialization
    /// <c>{"payload", "signatures": [{"protected", "signature"}]}</c>; each protected header holds <c>alg</c>,
    /// <c>kid</c> and <c>typ</c>.
    /// </summary>
    public static JsonObject SignGeneral(ReadOnlySpan<byte> payload, IEnumerable<JwsSigner> signers, string typ)
    {
        ArgumentNullException.ThrowIfNull(signers);
        var encodedPayload = Base64Url.Encode(payload);
        var signatures = new JsonArray();
        foreach (var signer in signers)
        {
            var (header, signature) = SignOne(encodedPayload, signer, typ);
            signatures.Add(new JsonObject { ["protected"] = header, ["signature"] = signature });
        }

        if (signatures.Count == 0)
        {
            throw new ArgumentException("At least one signer is required.", nameof(signers));
        }

        return new JsonObject { ["payload"] = encodedPayload, ["signatures"] = signatures };
    }

    /// <summary>Signs <paramref name="payload"/> into a compact JWS <c>header.payload.signature</c>.</summary>
    public static string SignCompact(ReadOnlySpan<byte> payload, JwsSigner signer, string typ)
    {
        var encodedPayload = Base64Url.Encode(payload);
        var (header, signature) = SignOne(encodedPayload, signer, typ);
        return string.Concat(header, ".", encodedPayload, ".", signature);
    }

    /// <summary>
    /// Verifies a compact JWS. Valid when its one signature verifies with a key the resolver returns for its
    /// <c>kid</c> and <c>alg</c>.
    /// </summary>
    public static JwsVerificationResult VerifyCompact(string? compact, IJwsKeyResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (string.IsNullOrEmpty(compact))
        {
            return JwsVerificationResult.Fail(JwsReasons.MalformedCompact);
        }

        if (compact.Length > MaxCompactLength)
        {
            return JwsVerificationResult.Fail(JwsReasons.TooLarge);
        }

        var parts = compact.Split('.');
        if (parts.Length != 3)
        {
            return JwsVerificationResult.Fail(JwsReasons.MalformedCompact);
        }

        if (!Base64Url.TryDecode(parts[1], out var payload))
        {
            return JwsVerificationResult.Fail(JwsReasons.MalformedBase64Url);
        }

        var result = VerifyOne(parts[0], parts[1], parts[2], resolver);
        return Conclude([result], [], payload);
    }

    /// <summary>
    /// Parses (size and depth capped) and verifies a JWS JSON document, general or flattened.
    /// See <see cref="VerifyGeneral(JsonNode?, IJwsKeyResolver, IEnumerable{string}?)"/> for the policy.
    /// </summary>
    public static JwsVerificationResult VerifyGeneral(string? json, IJwsKeyResolver resolver, IEnumerable<string>? requiredAlgorithms = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (json is null)
        {
            return JwsVerificationResult.Fail(JwsReasons.MalformedJson);
        }

        if (json.Length > MaxJsonLength)
        {
            return JwsVerificationResult.Fail(JwsReasons.TooLarge);
        }

        JsonNode? document;
        try
        {
            document = JsonNode.Parse(json, NodeOptions, ParseOptions);
        }
        catch (JsonException)
        {
            return JwsVerificationResult.Fail(JwsReasons.MalformedJson);
        }

        return VerifyGeneral(document, resolver, requiredAlgorithms);
    }

    /// <summary>
    /// Verifies a JWS JSON document (general serialization, or flattened). By default it is valid when it carries
    /// at least one signature and every signature verifies; with <paramref name="requiredAlgorithms"/> each of
    /// those algorithms must also have a valid signature (e.g. both <c>ES256</c> and <c>SM2</c>).
    /// </summary>
    public static JwsVerificationResult VerifyGeneral(JsonNode? document, IJwsKeyResolver resolver, IEnumerable<string>? requiredAlgorithms = null) =>
        VerifyGeneral(document, resolver, requiredAlgorithms, MaxJsonLength);

    /// <summary>Verifies a JWS JSON document whose encoded parts may total up to <paramref name="maxLength"/> characters.</summary>
    internal static JwsVerificationResult VerifyGeneral(JsonNode? document, IJwsKeyResolver resolver, IEnumerable<string>? requiredAlgorithms, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (document is not JsonObject root || !TryGetString(root, "payload", out var encodedPayload))
        {
            return JwsVerificationResult.Fail(JwsReasons.MalformedJson);
        }

        var entries = new List<(JsonObject Signature, string? Protected, string? Value)>();
        if (root.TryGetPropertyValue("signatures", out var signaturesNode))
        {
            if (signaturesNode is not JsonArray signatures || root.ContainsKey("signature") || root.ContainsKey("protected"))
            {
                return JwsVerificationResult.Fail(JwsReasons.MalformedJson);
            }

            if (signatures.Count > MaxSignatures)
            {
                return JwsVerificationResult.Fail(JwsReasons.TooManySignatures);
            }

            foreach (var node in signatures)
            {
                if (node is not JsonObject signature)
                {
                    return JwsVerificationResult.Fail(JwsReasons.MalformedJson);
                }

                entries.Add((signature, GetString(signature, "protected"), GetString(signature, "signature")));
            }
        }
        else if (root.ContainsKey("signature"))
        {
            entries.Add((root, GetString(root, "protected"), GetString(root, "signature")));
        }

        if (entries.Count == 0)
        {
            return JwsVerificationResult.Fail(JwsReasons.NoSignatures);
        }

        long total = encodedPayload.Length;
        foreach (var entry in entries)
        {
            total += (entry.Protected?.Length ?? 0) + (entry.Value?.Length ?? 0);
        }

        if (total > maxLength)
        {
            return JwsVerificationResult.Fail(JwsReasons.TooLarge);
        }

        if (!Base64Url.TryDecode(encodedPayload, out var payload))
        {
            return JwsVerificationResult.Fail(JwsReasons.MalformedBase64Url);
        }

        var results = new List<JwsSignatureResult>(entries.Count);
        foreach (var (signature, encodedHeader, value) in entries)
        {
            if (encodedHeader is null || value is null)
            {
                results.Add(new JwsSignatureResult(null, null, null, false, JwsReasons.MalformedJson, null));
            }
            else if (signature.TryGetPropertyValue("header", out var unprotected) && unprotected is not JsonObject { Count: 0 })
            {
                results.Add(new JwsSignatureResult(null, null, null, false, JwsReasons.UnprotectedHeader, null));
            }
            else
            {
                results.Add(VerifyOne(encodedHeader, encodedPayload, value, resolver));
            }
        }

        return Conclude(results, requiredAlgorithms ?? [], payload);
    }

    private static (string Header, string Signature) SignOne(string encodedPayload, JwsSigner signer, string typ)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentException.ThrowIfNullOrEmpty(typ);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, HeaderWriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", signer.Algorithm);
            writer.WriteString("kid", signer.KeyId);
            writer.WriteString("typ", typ);
            writer.WriteEndObject();
        }

        var header = Base64Url.Encode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        var signature = signer.Signer.Sign(SigningInput(header, encodedPayload));
        return (header, Base64Url.Encode(signature));
    }

    private static byte[] SigningInput(string encodedHeader, string encodedPayload) =>
        Encoding.ASCII.GetBytes(string.Concat(encodedHeader, ".", encodedPayload));

    private static JwsSignatureResult VerifyOne(string encodedHeader, string encodedPayload, string encodedSignature, IJwsKeyResolver resolver)
    {
        if (!Base64Url.TryDecode(encodedHeader, out var headerBytes) || !Base64Url.TryDecode(encodedSignature, out var signature))
        {
            return new JwsSignatureResult(null, null, null, false, JwsReasons.MalformedBase64Url, null);
        }

        var header = ReadHeader(headerBytes, out var failure);
        if (header is null)
        {
            return new JwsSignatureResult(null, null, null, false, failure, null);
        }

        var (alg, kid, typ) = header.Value;
        JwsSignatureResult Failed(string reason) => new(alg, kid, typ, false, reason, null);

        if (failure is not null)
        {
            return Failed(failure);
        }

        var candidates = resolver.Resolve(kid!);
        if (candidates.Count == 0)
        {
            return Failed(JwsReasons.UnknownKeyId);
        }

        var input = SigningInput(encodedHeader, encodedPayload);
        var matching = false;
        foreach (var key in candidates)
        {
            if (!string.Equals(key.Algorithm, alg, StringComparison.Ordinal))
            {
                continue;
            }

            matching = true;
            if (key.Suite.Verify(key.SubjectPublicKeyInfo, input, signature))
            {
                return new JwsSignatureResult(alg, kid, typ, true, null, key);
            }
        }

        return Failed(matching ? JwsReasons.SignatureMismatch : JwsReasons.AlgorithmMismatch);
    }

    /// <summary>
    /// Reads <c>alg</c>, <c>kid</c> and <c>typ</c>. Returns <see langword="null"/> when the header is unreadable;
    /// otherwise the values read so far, with <paramref name="failure"/> set when a rule failed.
    /// </summary>
    private static (string? Alg, string? Kid, string? Typ)? ReadHeader(byte[] headerBytes, out string? failure)
    {
        failure = null;
        JsonDocument document;
        try
        {
            // RFC 7515 §4: the header is UTF-8. JsonDocument checks string bytes only when a value is read, so check first.
            if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
            {
                failure = JwsReasons.MalformedHeader;
                return null;
            }

            document = JsonDocument.Parse(headerBytes, ParseOptions);
        }
        catch (JsonException)
        {
            failure = JwsReasons.MalformedHeader;
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                failure = JwsReasons.MalformedHeader;
                return null;
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            string? alg = null, kid = null, typ = null;
            var typeMalformed = false;
            var critical = false;
            try
            {
                foreach (var member in document.RootElement.EnumerateObject())
                {
                    if (!names.Add(member.Name))
                    {
                        failure = JwsReasons.DuplicateHeaderMember;
                        return null;
                    }

                    var text = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : null;
                    switch (member.Name)
                    {
                        case "alg":
                            alg = text;
                            break;
                        case "kid":
                            kid = text;
                            break;
                        case "typ":
                            typ = text;
                            typeMalformed = text is null;
                            break;
                        case "crit":
                            critical = true;
                            break;
                        default:
                            break;
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // A member name or value with an escaped lone surrogate.
                failure = JwsReasons.MalformedHeader;
                return null;
            }

            failure = alg switch
            {
                null => JwsReasons.MissingAlgorithm,
                _ when string.Equals(alg, "none", StringComparison.OrdinalIgnoreCase) => JwsReasons.AlgorithmNone,
                _ when !SupportedAlgorithms.Contains(alg) => JwsReasons.UnsupportedAlgorithm,
                _ when critical => JwsReasons.CriticalHeader,
                _ when kid is null => JwsReasons.MissingKeyId,
                _ when typeMalformed => JwsReasons.MalformedHeader,
                _ => null,
            };
            return (alg, kid, typ);
        }
    }

    private static JwsVerificationResult Conclude(
        IReadOnlyList<JwsSignatureResult> results,
        IEnumerable<string> requiredAlgorithms,
        byte[] payload)
    {
        var reasons = new List<string>();
        foreach (var result in results)
        {
            if (result.Reason is { } reason && !reasons.Contains(reason))
            {
                reasons.Add(reason);
            }
        }

        foreach (var required in requiredAlgorithms)
        {
            if (!results.Any(r => r.IsValid && r.Algorithm == required))
            {
                reasons.Add($"{JwsReasons.RequiredAlgorithmMissing}: {required}");
            }
        }

        if (results.Count == 0 && reasons.Count == 0)
        {
            reasons.Add(JwsReasons.NoSignatures);
        }

        var valid = reasons.Count == 0;
        return new JwsVerificationResult(valid, valid ? payload : null, results, reasons);
    }

    private static bool TryGetString(JsonObject node, string name, out string value)
    {
        value = GetString(node, name)!;
        return value is not null;
    }

    private static string? GetString(JsonObject node, string name) =>
        node.TryGetPropertyValue(name, out var value) && value is JsonValue scalar && scalar.TryGetValue<string>(out var text)
            ? text
            : null;
}
