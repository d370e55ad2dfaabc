using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Identifiers;
using CertLibrary.Signing;

namespace CertLibrary.Verification;

/// <summary>
/// Verification with no network: a downloaded trust list (verified against pinned root keys, or against its own
/// root keys when none are pinned — trust on first use, reported as a reason) and downloaded status lists.
/// A trust list past <c>nextUpdate</c> still verifies; the answer says since when it is stale.
/// </summary>
public static class OfflineVerifier
{
    /// <summary>Verifies <paramref name="input"/> (QR text, compact JWS or JWS JSON).</summary>
    public static async Task<VerificationReport> VerifyAsync(
        string input,
        string trustListJson,
        IEnumerable<string> statusListJsons,
        IEnumerable<JsonObject>? pinnedRoots,
        SignatureSuites suites,
        DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statusListJsons);
        var notes = new List<string>();
        var trustDocument = Parse(trustListJson);
        var roots = pinnedRoots?.ToList();
        if (roots is null || roots.Count == 0)
        {
            roots = ReadRootsUnverified(trustDocument);
            notes.Add("root keys not pinned: trusted the trust list's own root keys");
        }

        TrustListVerificationResult trust;
        try
        {
            trust = roots.Count == 0
                ? null!
                : TrustList.Verify(trustDocument, roots, suites, now);
        }
        catch (Exception e) when (e is JwkFormatException or ArgumentException)
        {
            trust = null!;
        }

        if (trust is null || !trust.IsValid)
        {
            return new VerificationReport(VerificationResults.Invalid, ["trust list invalid", .. trust?.Reasons ?? []], null, now);
        }

        if (trust.StaleSince is { } staleSince)
        {
            notes.Add("trust list stale since " + Rfc3339.Format(staleSince));
        }

        var lists = new List<StatusList>();
        foreach (var json in statusListJsons)
        {
            var list = StatusListCredential.Read(Parse(json), trust.KeyResolver!, out var failure);
            if (list is null)
            {
                notes.Add(failure!);
            }
            else
            {
                lists.Add(list);
            }
        }

        var verifier = new CertificateVerifier(trust.KeyResolver!, new StatusListStatusSource(lists, now));
        var report = await verifier.VerifyJwsTextAsync(input, now, cancellationToken);
        return report with { Reasons = [.. report.Reasons, .. notes], TrustListStaleSince = trust.StaleSince };
    }

    /// <summary>
    /// Checks a log-proof bundle with no network: <c>{"certificate": {...} | "signature": {...}, "treeHead": {...},
    /// "inclusion": {"leafIndex", "treeSize", "auditPath"}}</c> — the certificate (as <c>GET /api/v1/certificates/{id}</c>
    /// returns it, or just its <c>signature</c>), a tree head from <c>/api/v1/log/tree-head</c> and the proof from
    /// <c>/api/v1/log/proof/inclusion?index={logIndex}&amp;treeSize={treeSize}</c>. The tree head must be signed by the
    /// platform root keys (pinned, or the trust list's own). Returns the certificate id and null, or a reason.
    /// </summary>
    public static (string? CertificateId, string? Failure) VerifyLogProof(
        string bundleJson, string trustListJson, IEnumerable<JsonObject>? pinnedRoots, SignatureSuites suites, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(suites);
        var trustDocument = Parse(trustListJson);
        var roots = pinnedRoots?.ToList() is { Count: > 0 } pinned ? pinned : ReadRootsUnverified(trustDocument);
        TrustListVerificationResult? trust;
        try
        {
            trust = roots.Count == 0 ? null : TrustList.Verify(trustDocument, roots, suites, now);
        }
        catch (Exception e) when (e is JwkFormatException or ArgumentException)
        {
            trust = null;
        }

        if (trust is null || !trust.IsValid)
        {
            return (null, "trust list invalid");
        }

        var rootKeys = new List<JwsVerificationKey>();
        foreach (var root in roots)
        {
            try
            {
                var (suite, spki) = suites.ImportJwk(root);
                rootKeys.Add(new JwsVerificationKey(suite, KeyId.Compute(spki), spki) { OwnerCode = SigningKeyRecord.PlatformOwner });
            }
            catch (JwkFormatException)
            {
                // an unusable root signs nothing
            }
        }

        if (Parse(bundleJson) is not JsonObject bundle
            || (bundle["signature"] ?? bundle["certificate"]?["signature"]) is not JsonObject signature
            || bundle["treeHead"] is not JsonObject treeHead
            || bundle["inclusion"] is not JsonObject inclusion
            || inclusion["auditPath"] is not JsonArray auditPath)
        {
            return (null, "malformed log proof: expected {certificate | signature, treeHead, inclusion: {leafIndex, treeSize, auditPath}}");
        }

        string? id;
        try
        {
            var payload = JsonNode.Parse(Base64Url.Decode(signature["payload"]!.GetValue<string>()))!;
            id = payload["id"]!.GetValue<string>();
            if (inclusion["treeSize"]?.GetValue<long>() != treeHead["treeSize"]?.GetValue<long>()
                || inclusion["leafIndex"]?.GetValue<long>() != payload["logIndex"]?.GetValue<long>())
            {
                return (id, "the inclusion proof is for another leaf or tree size than the certificate's logIndex and the tree head");
            }

            var path = auditPath.Select(p => p!.GetValue<string>()).ToList();
            return (id, LogInclusion.Verify(signature, treeHead, path, new StaticJwsKeyResolver(rootKeys)));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            return (null, "malformed log proof");
        }
    }

    private static JsonNode? Parse(string? json)
    {
        if (json is null || json.Length > TrustList.MaxLength)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<JsonObject> ReadRootsUnverified(JsonNode? signed)
    {
        try
        {
            if (signed?["payload"] is JsonValue payload && payload.GetValueKind() == JsonValueKind.String
                && Base64Url.TryDecode(payload.GetValue<string>(), out var bytes)
                && JsonNode.Parse(bytes)?["rootKeys"] is JsonArray roots)
            {
                return [.. roots.OfType<JsonObject>().Select(r => (JsonObject)r.DeepClone())];
            }
        }
        catch (JsonException)
        {
            // no roots
        }

        return [];
    }
}
