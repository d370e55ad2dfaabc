using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using CertLibrary.TransparencyLog;

namespace CertLibrary.Auditor;

/// <summary>
/// Follows a transparency log over HTTP (SPEC §7): reads the newest tree head, proves it consistent with the
/// last verified one, downloads every entry and recomputes the root. It names any fork (a head that does not
/// extend the verified one) and any rewrite (entries that do not hash to the signed root).
/// </summary>
/// <param name="http">
/// A client whose <see cref="HttpClient.BaseAddress"/> is the log's base URL ending in a slash, for example
/// <c>https://certs.example/api/v1/log/</c>; requests go to <c>tree-head</c>, <c>proof/consistency</c>,
/// <c>proof/inclusion</c> and <c>entries</c> relative to it.
/// </param>
/// <param name="verifySignature">
/// Checks a tree head's signature over <see cref="SignedTreeHead.ToSigningInput"/> with the log's public key;
/// null skips the check (the trust list and key handling live in the signing library).
/// </param>
public sealed class LogAuditor(HttpClient http, Func<SignedTreeHead, bool>? verifySignature = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How many entries to ask for per <c>entries</c> request.</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>How many inclusion proofs to fetch, at most, to name the rewritten entries once a rewrite is seen.</summary>
    public int MaxInclusionChecks { get; init; } = 10_000;

    /// <summary>Audits the log once.</summary>
    /// <param name="lastVerified">The last tree head this auditor verified, or null on the first run.</param>
    /// <param name="cancellationToken">Cancels the audit.</param>
    /// <returns>The findings; <see cref="AuditReport.NewHead"/> may be saved as the new state only when the outcome is <see cref="AuditOutcome.Consistent"/>.</returns>
    public async Task<AuditReport> AuditAsync(SignedTreeHead? lastVerified, CancellationToken cancellationToken)
    {
        var findings = new Findings();
        try
        {
            var head = await ReadHeadAsync(findings, cancellationToken);
            if (head is null)
            {
                return findings.Report(null);
            }

            if (lastVerified is not null)
            {
                await CheckConsistencyAsync(lastVerified, head.Value, findings, cancellationToken);
            }

            await CheckEntriesAsync(lastVerified, head.Value, findings, cancellationToken);
            return findings.Report(head.Value.Head);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or FormatException or NotSupportedException
            or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            findings.Add(AuditOutcome.Malformed, $"The log could not be read: {ex.Message}");
            return findings.Report(null);
        }
    }

    private async Task<(SignedTreeHead Head, byte[] Root)?> ReadHeadAsync(Findings findings, CancellationToken cancellationToken)
    {
        var head = await http.GetFromJsonAsync<SignedTreeHead>("tree-head", Json, cancellationToken);
        if (head is null || head.TreeSize < 0 || !head.TryGetRootHash(out var root))
        {
            findings.Add(AuditOutcome.Malformed, "The tree head is missing, has a negative size or a root hash that is not 32 bytes.");
            return null;
        }

        if (verifySignature is not null && !verifySignature(head))
        {
            findings.Add(AuditOutcome.Malformed, $"The signature of tree head {head.TreeSize} does not verify.");
            return null;
        }

        return (head, root);
    }

    private async Task CheckConsistencyAsync(
        SignedTreeHead last,
        (SignedTreeHead Head, byte[] Root) current,
        Findings findings,
        CancellationToken cancellationToken)
    {
        if (!last.TryGetRootHash(out var lastRoot))
        {
            throw new FormatException("The saved tree head has no valid root hash.");
        }

        var (head, root) = current;
        if (head.TreeSize < last.TreeSize)
        {
            findings.Add(AuditOutcome.Fork, $"Fork: the log shrank from verified size {last.TreeSize} to {head.TreeSize}.");
            return;
        }

        if (head.TreeSize == last.TreeSize)
        {
            if (!root.AsSpan().SequenceEqual(lastRoot))
            {
                findings.Add(AuditOutcome.Fork, $"Fork: two different roots for size {head.TreeSize}: verified {last.RootHash}, now {head.RootHash}.");
            }

            return;
        }

        var response = await http.GetFromJsonAsync<ConsistencyResponse>(
            string.Create(CultureInfo.InvariantCulture, $"proof/consistency?first={last.TreeSize}&second={head.TreeSize}"),
            Json,
            cancellationToken);
        var proof = DecodeHashes(response?.Consistency);
        if (response is null || response.First != last.TreeSize || response.Second != head.TreeSize || proof is null
            || !MerkleVerifier.VerifyConsistency(last.TreeSize, head.TreeSize, lastRoot, root, proof))
        {
            findings.Add(
                AuditOutcome.Fork,
                $"Fork: tree head {head.TreeSize} (root {head.RootHash}) is not consistent with verified head {last.TreeSize} (root {last.RootHash}).");
        }
    }

    private async Task CheckEntriesAsync(
        SignedTreeHead? last,
        (SignedTreeHead Head, byte[] Root) current,
        Findings findings,
        CancellationToken cancellationToken)
    {
        var (head, root) = current;
        var store = new InMemoryMerkleNodeStore();
        var leafHashes = new List<byte[]>();
        while (store.Size < head.TreeSize)
        {
            var start = store.Size;
            var end = Math.Min(head.TreeSize, start + PageSize);
            var page = await http.GetFromJsonAsync<EntriesResponse>(
                string.Create(CultureInfo.InvariantCulture, $"entries?start={start}&end={end}"),
                Json,
                cancellationToken);
            if (page?.Entries is not { Count: > 0 } entries || entries.Count > end - start)
            {
                findings.Add(AuditOutcome.Malformed, $"The log returned no or too many entries for [{start}, {end}).");
                return;
            }

            foreach (var entry in entries)
            {
                if (!TryReadEntry(entry, store.Size, findings, out var leafInput))
                {
                    return;
                }

                var leafHash = MerkleHash.Leaf(leafInput);
                leafHashes.Add(leafHash);
                store.AppendLeafHash(leafHash);
            }
        }

        if (last is not null && last.TreeSize <= head.TreeSize && last.TryGetRootHash(out var lastRoot)
            && !(await MerkleProofs.RootAsync(store, last.TreeSize, cancellationToken)).AsSpan().SequenceEqual(lastRoot))
        {
            findings.Add(AuditOutcome.Rewrite, $"Rewrite: the first {last.TreeSize} entries no longer hash to the verified root {last.RootHash}.");
        }

        var computed = await MerkleProofs.RootAsync(store, head.TreeSize, cancellationToken);
        if (!computed.AsSpan().SequenceEqual(root))
        {
            findings.Add(
                AuditOutcome.Rewrite,
                $"Rewrite: the {head.TreeSize} entries served hash to {Convert.ToBase64String(computed)}, not to the signed root {head.RootHash}.");
            await LocateRewritesAsync(head, root, leafHashes, findings, cancellationToken);
        }
    }

    private static bool TryReadEntry(EntryResponse entry, long expectedIndex, Findings findings, out byte[] leafInput)
    {
        leafInput = [];
        if (entry.Index != expectedIndex || entry.LeafInput is null)
        {
            findings.Add(AuditOutcome.Malformed, $"Expected entry {expectedIndex}, got entry {entry.Index} (or no leafInput).");
            return false;
        }

        try
        {
            leafInput = Convert.FromBase64String(entry.LeafInput);
        }
        catch (FormatException)
        {
            findings.Add(AuditOutcome.Malformed, $"Entry {expectedIndex}: leafInput is not base64.");
            return false;
        }

        try
        {
            LogEntry.FromLeafInput(leafInput);
            using var hashed = JsonDocument.Parse(leafInput);
            if (entry.Entry.ValueKind != JsonValueKind.Undefined && !JsonElement.DeepEquals(entry.Entry, hashed.RootElement))
            {
                findings.Add(AuditOutcome.Rewrite, $"Rewrite: entry {expectedIndex} shows data that differs from its hashed leafInput.");
                findings.AddRewritten(expectedIndex);
            }
        }
        catch (FormatException ex)
        {
            findings.Add(AuditOutcome.Malformed, $"Entry {expectedIndex}: leafInput is not a canonical log entry ({ex.Message}).");
        }

        return true;
    }

    private async Task LocateRewritesAsync(
        SignedTreeHead head,
        byte[] root,
        List<byte[]> leafHashes,
        Findings findings,
        CancellationToken cancellationToken)
    {
        var checks = Math.Min(leafHashes.Count, MaxInclusionChecks);
        for (var index = 0; index < checks; index++)
        {
            var response = await http.GetFromJsonAsync<InclusionResponse>(
                string.Create(CultureInfo.InvariantCulture, $"proof/inclusion?index={index}&treeSize={head.TreeSize}"),
                Json,
                cancellationToken);
            var path = DecodeHashes(response?.AuditPath);
            if (response is null || response.LeafIndex != index || response.TreeSize != head.TreeSize || path is null
                || !MerkleVerifier.VerifyInclusion(leafHashes[index], index, head.TreeSize, path, root))
            {
                findings.Add(AuditOutcome.Rewrite, $"Rewrite: entry {index} as served is not in the signed tree of size {head.TreeSize}.");
                findings.AddRewritten(index);
            }
        }

        if (checks < leafHashes.Count)
        {
            findings.Add(AuditOutcome.Rewrite, $"Only the first {checks} entries were checked one by one.");
        }
    }

    private static byte[][]? DecodeHashes(IReadOnlyList<string>? hashes)
    {
        if (hashes is null)
        {
            return null;
        }

        var result = new byte[hashes.Count][];
        for (var i = 0; i < hashes.Count; i++)
        {
            var buffer = new byte[MerkleHash.Size + 3];
            if (hashes[i] is null || !Convert.TryFromBase64String(hashes[i], buffer, out var written) || written != MerkleHash.Size)
            {
                return null;
            }

            result[i] = buffer[..written];
        }

        return result;
    }

    private sealed class Findings
    {
        private readonly List<string> problems = [];
        private readonly SortedSet<long> rewritten = [];
        private AuditOutcome outcome = AuditOutcome.Consistent;

        public void Add(AuditOutcome found, string problem)
        {
            problems.Add(problem);
            if (found > outcome)
            {
                outcome = found;
            }
        }

        public void AddRewritten(long index) => rewritten.Add(index);

        public AuditReport Report(SignedTreeHead? head) => new(outcome, head, problems, [.. rewritten]);
    }
}
