namespace CertLibrary.TransparencyLog;

/// <summary>
/// Builds tree roots, inclusion proofs and consistency proofs exactly as RFC 6962 §2.1 defines MTH, PATH and
/// PROOF, reading only stored complete subtrees.
/// </summary>
/// <remarks>
/// Every hash the RFC recursion asks for is the Merkle tree hash of a leaf range that is either one complete,
/// aligned subtree (one stored node) or the right edge of an incomplete tree, which splits into at most
/// <c>log2(n)</c> stored nodes. Each method first lists the node ids it needs, reads them all with one
/// <see cref="IMerkleNodeReader.GetNodesAsync"/> call, then assembles the result: a proof in a log of
/// 10^6 entries reads about 40 nodes, not 10^6 rows.
/// </remarks>
public static class MerkleProofs
{
    /// <summary>Computes the Merkle tree hash MTH(D[treeSize]) of the first <paramref name="treeSize"/> leaves.</summary>
    /// <param name="reader">Reads stored nodes.</param>
    /// <param name="treeSize">The number of leaves; 0 gives <see cref="MerkleHash.Empty"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The 32-byte root hash.</returns>
    /// <exception cref="InvalidOperationException">A needed node is not stored.</exception>
    public static async ValueTask<byte[]> RootAsync(
        IMerkleNodeReader reader,
        long treeSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        if (treeSize == 0)
        {
            return MerkleHash.Empty;
        }

        var hashes = await HashRangesAsync(reader, [(0, treeSize)], cancellationToken);
        return hashes[0];
    }

    /// <summary>
    /// Builds the audit path PATH(leafIndex, D[treeSize]) of RFC 6962 §2.1.1 (the <c>inclusion_path</c> of
    /// RFC 9162 §2.1.3.1), deepest sibling first.
    /// </summary>
    /// <param name="reader">Reads stored nodes.</param>
    /// <param name="leafIndex">The 0-based index of the leaf.</param>
    /// <param name="treeSize">The size of the tree the proof is for; greater than <paramref name="leafIndex"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The 32-byte hashes of the audit path; empty for a tree of one leaf.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="leafIndex"/> is negative or not below <paramref name="treeSize"/>.</exception>
    /// <exception cref="InvalidOperationException">A needed node is not stored.</exception>
    public static async ValueTask<IReadOnlyList<byte[]>> InclusionProofAsync(
        IMerkleNodeReader reader,
        long leafIndex,
        long treeSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leafIndex, treeSize);

        var ranges = new List<(long Start, long End)>();
        MerkleRanges.InclusionPath(leafIndex, 0, treeSize, ranges);
        return await HashRangesAsync(reader, ranges, cancellationToken);
    }

    /// <summary>
    /// Builds the consistency proof PROOF(first, D[second]) = SUBPROOF(first, D[second], true) of RFC 6962
    /// §2.1.2 (the <c>consistency_path</c> of RFC 9162 §2.1.4.1).
    /// </summary>
    /// <param name="reader">Reads stored nodes.</param>
    /// <param name="first">The size of the older tree; 0 or equal to <paramref name="second"/> gives an empty proof.</param>
    /// <param name="second">The size of the newer tree.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The 32-byte hashes of the proof.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="first"/> is negative or greater than <paramref name="second"/>.</exception>
    /// <exception cref="InvalidOperationException">A needed node is not stored.</exception>
    public static async ValueTask<IReadOnlyList<byte[]>> ConsistencyProofAsync(
        IMerkleNodeReader reader,
        long first,
        long second,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, second);
        if (first == 0 || first == second)
        {
            return [];
        }

        var ranges = new List<(long Start, long End)>();
        MerkleRanges.Subproof(first, 0, second, b: true, ranges);
        return await HashRangesAsync(reader, ranges, cancellationToken);
    }

    private static async ValueTask<byte[][]> HashRangesAsync(
        IMerkleNodeReader reader,
        List<(long Start, long End)> ranges,
        CancellationToken cancellationToken)
    {
        if (ranges.Count == 0)
        {
            return [];
        }

        var ids = new HashSet<(int Level, long Index)>();
        foreach (var (start, end) in ranges)
        {
            MerkleRanges.CollectNodes(start, end, ids);
        }

        var nodes = await reader.GetNodesAsync(ids, cancellationToken);
        var hashes = new byte[ranges.Count][];
        for (var i = 0; i < ranges.Count; i++)
        {
            hashes[i] = MerkleRanges.Hash(ranges[i].Start, ranges[i].End, nodes);
        }

        return hashes;
    }
}
