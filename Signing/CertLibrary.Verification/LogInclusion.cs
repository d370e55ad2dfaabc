using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Signing;
using CertLibrary.TransparencyLog;

namespace CertLibrary.Verification;

/// <summary>
/// Checks, with no network, that a certificate was logged: its issuance entry (rebuilt from the signed payload:
/// event <c>issue</c> or <c>supersede</c>, id, SHA-256 of the payload, issuer, <c>issuedAt</c>) is included, at the
/// certificate's <c>logIndex</c>, in a tree head signed by the platform keys (SPEC §7). The entry is in format
/// version 2, or version 1 for a certificate issued before version 2 existed; either one included is proof.
/// </summary>
public static class LogInclusion
{
    /// <summary>Verifies an inclusion proof bundled with a certificate; returns null when it holds, else the reason.</summary>
    /// <param name="certificateSignature">The certificate's JWS JSON (its <c>signature</c> member).</param>
    /// <param name="treeHead">A tree head as served at <c>/api/v1/log/tree-head</c>.</param>
    /// <param name="auditPath">The <c>auditPath</c> of <c>/api/v1/log/proof/inclusion?index={logIndex}&amp;treeSize={treeHead.treeSize}</c>.</param>
    /// <param name="platformKeys">Platform root keys (from the trust list's <c>rootKeys</c>).</param>
    public static string? Verify(JsonObject certificateSignature, JsonObject treeHead, IReadOnlyList<string> auditPath, IJwsKeyResolver platformKeys)
    {
        try
        {
            if (certificateSignature["payload"]?.GetValue<string>() is not { } encoded || !Base64Url.TryDecode(encoded, out var payload))
            {
                return "certificate has no payload";
            }

            var certificate = JsonNode.Parse(payload)!.AsObject();
            var logIndex = certificate["logIndex"]!.GetValue<long>();
            var entry = new LogEntry(
                certificate["supersedes"] is null ? LogEventTypes.Issue : LogEventTypes.Supersede,
                certificate["id"]!.GetValue<string>(),
                null,
                Convert.ToBase64String(SHA256.HashData(payload)),
                certificate["issuer"]!["code"]!.GetValue<string>(),
                DateTimeOffset.Parse(certificate["issuedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                null);

            var head = new SignedTreeHead(
                treeHead["treeSize"]!.GetValue<long>(), treeHead["timestamp"]!.GetValue<long>(),
                treeHead["rootHash"]!.GetValue<string>(), treeHead["signature"]?.GetValue<string>());
            var signature = Jws.VerifyGeneral(head.Signature, platformKeys);
            if (!signature.IsValid || signature.Payload is null || !signature.Payload.AsSpan().SequenceEqual(head.ToSigningInput()))
            {
                return "tree head signature does not verify with the platform keys";
            }

            if (!head.TryGetRootHash(out var root))
            {
                return "tree head root hash is malformed";
            }

            var path = auditPath.Select(Convert.FromBase64String).ToList();
            return MerkleVerifier.VerifyInclusion(MerkleHash.Leaf(entry.ToLeafInput()), logIndex, head.TreeSize, path, root)
                || MerkleVerifier.VerifyInclusion(MerkleHash.Leaf((entry with { Version = 1 }).ToLeafInput()), logIndex, head.TreeSize, path, root)
                ? null
                : "the certificate's log entry is not included at its logIndex in this tree";
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            return "malformed certificate, tree head or proof";
        }
    }
}
