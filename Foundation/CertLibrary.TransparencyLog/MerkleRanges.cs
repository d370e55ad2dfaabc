using System.Numerics;

namespace CertLibrary.TransparencyLog;

/// <summary>
/// Plans the RFC 6962 recursions as lists of leaf ranges <c>D[start:end]</c> whose Merkle tree hash is
/// needed, and maps each range onto the stored complete subtrees that make it up.
/// </summary>
internal static class MerkleRanges
{
    /// <summary>The largest power of two smaller than <paramref name="n"/> (the RFC's <c>k</c>); <paramref name="n"/> ≥ 2.</summary>
    public static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>The ranges of PATH(m, D[start:end]) in proof order.</summary>
    public static void InclusionPath(long m, long start, long end, List<(long Start, long End)> output)
    {
        var size = end - start;
        if (size <= 1)
        {
            return;
        }

        var k = SplitPoint(size);
        if (m - start < k)
        {
            InclusionPath(m, start, start + k, output);
            output.Add((start + k, end));
        }
        else
        {
            InclusionPath(m, start + k, end, output);
            output.Add((start, start + k));
        }
    }

    /// <summary>The ranges of SUBPROOF(m, D[start:end], b) in proof order; <paramref name="m"/> counts from <paramref name="start"/>.</summary>
    public static void Subproof(long m, long start, long end, bool b, List<(long Start, long End)> output)
    {
        var size = end - start;
        if (m == size)
        {
            if (!b)
            {
                output.Add((start, end));
            }

            return;
        }

        var k = SplitPoint(size);
        if (m <= k)
        {
            Subproof(m, start, start + k, b, output);
            output.Add((start + k, end));
        }
        else
        {
            Subproof(m - k, start + k, end, false, output);
            output.Add((start, start + k));
        }
    }

    /// <summary>Adds the stored nodes whose hashes make MTH(D[start:end]); the range must not be empty.</summary>
    public static void CollectNodes(long start, long end, ISet<(int Level, long Index)> ids)
    {
        var size = end - start;
        if (IsAlignedSubtree(start, size, out var level))
        {
            ids.Add((level, start >> level));
            return;
        }

        var k = SplitPoint(size);
        CollectNodes(start, start + k, ids);
        CollectNodes(start + k, end, ids);
    }

    /// <summary>Computes MTH(D[start:end]) from the stored nodes collected by <see cref="CollectNodes"/>.</summary>
    public static byte[] Hash(long start, long end, IReadOnlyDictionary<(int Level, long Index), byte[]> nodes)
    {
        var size = end - start;
        if (IsAlignedSubtree(start, size, out var level))
        {
            var id = (level, start >> level);
            if (!nodes.TryGetValue(id, out var hash) || hash is null || hash.Length != MerkleHash.Size)
            {
                throw new InvalidOperationException($"The Merkle node ({id.level}, {id.Item2}) is not stored or is not {MerkleHash.Size} bytes.");
            }

            return (byte[])hash.Clone();
        }

        var k = SplitPoint(size);
        return MerkleHash.Node(Hash(start, start + k, nodes), Hash(start + k, end, nodes));
    }

    private static bool IsAlignedSubtree(long start, long size, out int level)
    {
        level = BitOperations.TrailingZeroCount(size);
        return BitOperations.IsPow2(size) && (start & (size - 1)) == 0;
    }
}
