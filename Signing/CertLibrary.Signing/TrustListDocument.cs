using System.Text.Json.Nodes;
using CertLibrary.Identifiers;

namespace CertLibrary.Signing;

/// <summary>
/// The trust list payload (SPEC §4): every issuer key ever used and the platform root keys.
/// <c>{"issuedAt", "nextUpdate", "rootKeys": [jwk...], "keys": [{"kid", "alg", "departmentCode", "jwk",
/// "notBefore", "retiredAt", "revokedAt"}]}</c>.
/// </summary>
/// <param name="IssuedAt">When the list was built.</param>
/// <param name="NextUpdate">When a fresher list is due; after it the list is stale but still usable.</param>
/// <param name="RootKeys">Platform root public JWKs, each with <c>kid</c> and <c>alg</c>.</param>
/// <param name="Keys">Every department key ever used.</param>
public sealed record TrustListDocument(
    DateTimeOffset IssuedAt,
    DateTimeOffset NextUpdate,
    IReadOnlyList<JsonObject> RootKeys,
    IReadOnlyList<TrustListKey> Keys)
{
    /// <summary>The <c>typ</c> of the trust list JWS.</summary>
    public const string JwsType = "certlib-trust-list+json";

    /// <summary>Serialises the payload JSON.</summary>
    public JsonObject ToJson()
    {
        var roots = new JsonArray();
        foreach (var root in RootKeys)
        {
            roots.Add(root.DeepClone());
        }

        var keys = new JsonArray();
        foreach (var key in Keys)
        {
            keys.Add(new JsonObject
            {
                ["kid"] = key.KeyId,
                ["alg"] = key.Algorithm,
                ["departmentCode"] = key.DepartmentCode,
                ["jwk"] = key.Jwk.DeepClone(),
                ["notBefore"] = Rfc3339.Format(key.NotBefore),
                ["retiredAt"] = key.RetiredAt is { } retired ? Rfc3339.Format(retired) : null,
                ["revokedAt"] = key.RevokedAt is { } revoked ? Rfc3339.Format(revoked) : null,
            });
        }

        return new JsonObject
        {
            ["issuedAt"] = Rfc3339.Format(IssuedAt),
            ["nextUpdate"] = Rfc3339.Format(NextUpdate),
            ["rootKeys"] = roots,
            ["keys"] = keys,
        };
    }

    /// <summary>Reads the payload JSON strictly; returns <see langword="null"/> with a reason when malformed.</summary>
    internal static TrustListDocument? Parse(JsonNode? node, out string? error)
    {
        error = "malformed trust list";
        if (node is not JsonObject root
            || !Rfc3339.TryParse(GetString(root, "issuedAt"), out var issuedAt)
            || !Rfc3339.TryParse(GetString(root, "nextUpdate"), out var nextUpdate)
            || root["rootKeys"] is not JsonArray rootArray
            || root["keys"] is not JsonArray keyArray)
        {
            return null;
        }

        var roots = new List<JsonObject>(rootArray.Count);
        foreach (var item in rootArray)
        {
            if (item is not JsonObject jwk)
            {
                return null;
            }

            roots.Add((JsonObject)jwk.DeepClone());
        }

        var keys = new List<TrustListKey>(keyArray.Count);
        foreach (var item in keyArray)
        {
            if (item is not JsonObject entry
                || GetString(entry, "kid") is not { } kid
                || GetString(entry, "alg") is not { } alg
                || GetString(entry, "departmentCode") is not { } department
                || entry["jwk"] is not JsonObject jwk
                || !Rfc3339.TryParse(GetString(entry, "notBefore"), out var notBefore)
                || !TryGetOptionalTime(entry, "retiredAt", out var retiredAt)
                || !TryGetOptionalTime(entry, "revokedAt", out var revokedAt))
            {
                return null;
            }

            keys.Add(new TrustListKey(kid, alg, department, (JsonObject)jwk.DeepClone(), notBefore, retiredAt, revokedAt));
        }

        error = null;
        return new TrustListDocument(issuedAt, nextUpdate, roots, keys);
    }

    private static bool TryGetOptionalTime(JsonObject node, string name, out DateTimeOffset? value)
    {
        value = null;
        if (!node.TryGetPropertyValue(name, out var member) || member is null)
        {
            return true;
        }

        if (!Rfc3339.TryParse(GetString(node, name), out var time))
        {
            return false;
        }

        value = time;
        return true;
    }

    private static string? GetString(JsonObject node, string name) =>
        node.TryGetPropertyValue(name, out var value) && value is JsonValue scalar && scalar.TryGetValue<string>(out var text)
            ? text
            : null;
}

/// <summary>One department key in the trust list.</summary>
/// <param name="KeyId">The <c>kid</c>.</param>
/// <param name="Algorithm">The JOSE <c>alg</c>.</param>
/// <param name="DepartmentCode">Credit code of the owning department.</param>
/// <param name="Jwk">The public JWK.</param>
/// <param name="NotBefore">Time from which the key signs.</param>
/// <param name="RetiredAt">Time after which it signs nothing.</param>
/// <param name="RevokedAt">Time it was revoked.</param>
public sealed record TrustListKey(
    string KeyId,
    string Algorithm,
    string DepartmentCode,
    JsonObject Jwk,
    DateTimeOffset NotBefore,
    DateTimeOffset? RetiredAt,
    DateTimeOffset? RevokedAt);
