using System.Text.Json;
using System.Text.Json.Nodes;
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
