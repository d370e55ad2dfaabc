namespace CertLibrary.TransparencyLog;

/// <summary>
/// Computes the nodes that become complete when a leaf is appended, so a store only ever writes
/// complete, immutable nodes.
/// </summary>
/// <remarks>
/// When leaf <c>n</c> (0-based) is appended, the nodes that become complete are <c>(0, n)</c> and
/// <c>(l, n &gt;&gt; l)</c> for every level <c>l</c> where the low <c>l</c> bits of <c>n + 1</c> are all
/// zero: at most <c>log2(n) + 1</c> nodes. Each new node at level <c>l</c> combines the new node at level
/// <c>l - 1</c> with its left sibling <c>(l - 1, (n &gt;&gt; (l - 1)) - 1)</c>, which is already stored.
/// </remarks>
public static class MerkleAppender
{
    /// <summary>Lists the stored nodes (left siblings) needed to append leaf <paramref name="leafIndex"/>.</summary>
    /// <param name="leafIndex">The 0-based index of the leaf being appended; the tree holds this many leaves.</param>
    /// <returns>The node ids, lowest level first; empty when <paramref name="leafIndex"/> is even.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="leafIndex"/> is negative or too large.</exception>
    public static IReadOnlyList<(int Level, long Index)> GetRequiredNodeIds(long leafIndex)
    {
        CheckLeafIndex(leafIndex);
        var ids = new List<(int Level, long Index)>();
        for (var level = 1; CompletesAt(leafIndex, level); level++)
        {
            ids.Add((level - 1, (leafIndex >> (level - 1)) - 1));
        }

        return ids;
    }

    /// <summary>
    /// Lists the roots of the complete subtrees of a tree of <paramref name="treeSize"/> leaves (one per set bit of the
    /// size), highest first. Appending any run of leaves to that tree needs, besides the nodes the run itself makes,
    /// exactly these stored nodes.
    /// </summary>
    /// <param name="treeSize">The number of leaves in the tree.</param>
    /// <returns>The node ids; empty for an empty tree.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="treeSize"/> is negative.</exception>
    public static IReadOnlyList<(int Level, long Index)> GetFrontierNodeIds(long treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        var ids = new List<(int Level, long Index)>();
        for (var level = 62; level >= 0; level--)
        {
            if (((treeSize >> level) & 1) == 1)
            {
                ids.Add((level, (treeSize >> level) - 1));
            }
        }

        return ids;
    }

    /// <summary>Computes the nodes to store when the leaf with hash <paramref name="leafHash"/> is appended.</summary>
    /// <param name="leafIndex">The 0-based index of the new leaf, which equals the tree size before the append.</param>
    /// <param name="leafHash">The 32-byte leaf hash (see <see cref="MerkleHash.Leaf"/>).</param>
    /// <param name="getExisting">Returns the stored hash of node <c>(level, index)</c>.</param>
    /// <returns>The new nodes, starting with the leaf node <c>(0, leafIndex)</c> and going up.</returns>
    public static IReadOnlyList<MerkleNode> ComputeNewNodes(
        long leafIndex,
        byte[] leafHash,
        Func<int, long, byte[]> getExisting)
    {
        ArgumentNullException.ThrowIfNull(getExisting);
        CheckLeafIndex(leafIndex);
        CheckHash(leafHash);

        var nodes = new List<MerkleNode> { new(0, leafIndex, (byte[])leafHash.Clone()) };
        var current = nodes[0].Hash;
        for (var level = 1; CompletesAt(leafIndex, level); level++)
        {
            var left = getExisting(level - 1, (leafIndex >> (level - 1)) - 1);
            CheckStored(left, level - 1, (leafIndex >> (level - 1)) - 1);
            current = MerkleHash.Node(left, current);
            nodes.Add(new MerkleNode(level, leafIndex >> level, current));
        }

        return nodes;
    }

    /// <summary>
    /// Computes the nodes to store when a leaf is appended, reading the needed left siblings from
    /// <paramref name="reader"/> in one batch call.
    /// </summary>
    /// <param name="leafIndex">The 0-based index of the new leaf, which equals the tree size before the append.</param>
    /// <param name="leafHash">The 32-byte leaf hash.</param>
    /// <param name="reader">Reads the existing nodes.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The new nodes, starting with the leaf node <c>(0, leafIndex)</c> and going up.</returns>
    /// <exception cref="InvalidOperationException">A needed node is not stored.</exception>
    public static async ValueTask<IReadOnlyList<MerkleNode>> ComputeNewNodesAsync(
        long leafIndex,
        byte[] leafHash,
        IMerkleNodeReader reader,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        CheckHash(leafHash);
        var ids = GetRequiredNodeIds(leafIndex);
        if (ids.Count == 0)
        {
            return ComputeNewNodes(leafIndex, leafHash, static (_, _) => throw new InvalidOperationException("No node is needed."));
        }

        var found = await reader.GetNodesAsync(ids, cancellationToken);
        return ComputeNewNodes(
            leafIndex,
            leafHash,
            (level, index) => found.TryGetValue((level, index), out var hash)
                ? hash
                : throw new InvalidOperationException($"The Merkle node ({level}, {index}) is not stored."));
    }

    private static bool CompletesAt(long leafIndex, int level) =>
        level < 63 && ((leafIndex + 1) & ((1L << level) - 1)) == 0;

    private static void CheckLeafIndex(long leafIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfEqual(leafIndex, long.MaxValue);
    }

    private static void CheckHash(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A leaf hash must be {MerkleHash.Size} bytes, not {leafHash.Length}.", nameof(leafHash));
        }
    }

    private static void CheckStored(byte[]? hash, int level, long index)
    {
        if (hash is null || hash.Length != MerkleHash.Size)
        {
            throw new InvalidOperationException($"The Merkle node ({level}, {index}) is missing or not {MerkleHash.Size} bytes.");
        }
    }
}
