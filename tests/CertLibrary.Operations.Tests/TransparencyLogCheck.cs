using System.Text.Json;
using CertLibrary.TransparencyLog;

namespace CertLibrary.Operations.Tests;

/// <summary>Reads the whole transparency log through the public API and checks it against the stored certificates.</summary>
public static class TransparencyLogCheck
{
    public static async Task<(long Size, byte[] Root)> TreeHeadAsync(HttpClient http)
    {
        var head = await ApiProcess.JsonAsync(await http.GetAsync("api/v1/log/tree-head"));
        return (head.GetProperty("treeSize").GetInt64(), Convert.FromBase64String(head.GetProperty("rootHash").GetString()!));
    }

    public static async Task<List<JsonElement>> EntriesAsync(HttpClient http, long size)
    {
        var entries = new List<JsonElement>();
        for (long start = 0; start < size; start += 1000)
        {
            var page = await ApiProcess.JsonAsync(await http.GetAsync($"api/v1/log/entries?start={start}&end={Math.Min(size, start + 1000)}"));
            entries.AddRange(page.GetProperty("entries").EnumerateArray());
        }

        return entries;
    }

    /// <summary>
    /// Every certificate has exactly one issue entry, at its logIndex, naming it; every issue entry names a stored
    /// certificate; the entries hash to the signed root.
    /// </summary>
    public static async Task AssertMatchesAsync(HttpClient http, IReadOnlyDictionary<string, long> certificates)
    {
        var (size, root) = await TreeHeadAsync(http);
        var entries = await EntriesAsync(http, size);
        Assert.Equal(size, entries.Count);
        var issued = entries.Where(e => e.GetProperty("entry").GetProperty("eventType").GetString() == "issue")
            .Select(e => (Id: e.GetProperty("entry").GetProperty("certificateId").GetString()!, Index: e.GetProperty("index").GetInt64())).ToList();
        Assert.Equal(issued.Count, issued.Select(e => e.Id).Distinct().Count());
        Assert.Equal(certificates.Keys.Order(), issued.Select(e => e.Id).Order());
        foreach (var (id, index) in issued)
        {
            Assert.Equal(certificates[id], index);
        }

        Assert.Equal(root, RootOf(entries.Select(e => Convert.FromBase64String(e.GetProperty("leafInput").GetString()!)).ToList()));
    }

    // RFC 6962 §2.1 Merkle tree hash, computed independently of the server.
    private static byte[] RootOf(IReadOnlyList<byte[]> leaves)
    {
        if (leaves.Count == 0)
        {
            return MerkleHash.Empty;
        }

        var level = leaves.Select(l => MerkleHash.Leaf(l)).ToList();
        return Mth(level, 0, level.Count);
    }

    private static byte[] Mth(List<byte[]> hashes, int start, int count)
    {
        if (count == 1)
        {
            return hashes[start];
        }

        var split = 1;
        while (split * 2 < count)
        {
            split *= 2;
        }

        return MerkleHash.Node(Mth(hashes, start, split), Mth(hashes, start + split, count - split));
    }
}
