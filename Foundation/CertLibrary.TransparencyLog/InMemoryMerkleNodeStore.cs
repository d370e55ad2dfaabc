namespace CertLibrary.TransparencyLog;

/// <summary>
/// A thread-safe, in-memory Merkle tree that stores every complete subtree (see <see cref="MerkleAppender"/>)
/// and serves them through <see cref="IMerkleNodeReader"/>. Used by tests and by a single-node, in-process log.
/// </summary>
/// <remarks>
/// Each level is one contiguous array of 32-byte hashes, so the store holds at most 2^26 leaves
/// (about 4 GB of hashes); a larger log belongs in a database behind <see cref="IMerkleNodeReader"/>.
/// </remarks>
public sealed class InMemoryMerkleNodeStore : IMerkleNodeReader
{
    private readonly Lock gate = new();

    // levels[l] holds the hashes of level l back to back, 32 bytes each; counts[l] of them are written.
    private readonly List<byte[]> levels = [];
    private readonly List<long> counts = [];
    private long size;

    /// <summary>The number of leaves appended so far.</summary>
    public long Size
    {
        get
        {
            lock (gate)
            {
                return size;
            }
        }
    }

    /// <summary>Appends a leaf whose input is <paramref name="leafInput"/>; its leaf hash is <see cref="MerkleHash.Leaf"/>.</summary>
    /// <param name="leafInput">The exact bytes of the entry.</param>
    /// <returns>The 0-based index of the new leaf.</returns>
    public long Append(ReadOnlySpan<byte> leafInput) => AppendLeafHash(MerkleHash.Leaf(leafInput));

    /// <summary>Appends a leaf by its 32-byte leaf hash.</summary>
    /// <param name="leafHash">The leaf hash.</param>
    /// <returns>The 0-based index of the new leaf.</returns>
    public long AppendLeafHash(byte[] leafHash)
    {
        lock (gate)
        {
            var index = size;
            var nodes = MerkleAppender.ComputeNewNodes(index, leafHash, ReadLocked);
            foreach (var node in nodes)
            {
                WriteLocked(node);
            }

            size = index + 1;
            return index;
        }
    }

    /// <inheritdoc />
    public ValueTask<byte[]> GetNodeAsync(int level, long index, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (gate)
        {
            return TryReadLocked(level, index, out var hash)
                ? ValueTask.FromResult(hash)
                : ValueTask.FromException<byte[]>(new KeyNotFoundException($"The Merkle node ({level}, {index}) is not stored."));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> GetNodesAsync(
        IReadOnlyCollection<(int Level, long Index)> ids,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        cancellationToken.ThrowIfCancellationRequested();
        var result = new Dictionary<(int Level, long Index), byte[]>(ids.Count);
        lock (gate)
        {
            foreach (var id in ids)
            {
                if (TryReadLocked(id.Level, id.Index, out var hash))
                {
                    result[id] = hash;
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyDictionary<(int Level, long Index), byte[]>>(result);
    }

    private byte[] ReadLocked(int level, long index) =>
        TryReadLocked(level, index, out var hash)
            ? hash
            : throw new InvalidOperationException($"The Merkle node ({level}, {index}) is not stored.");

    private bool TryReadLocked(int level, long index, out byte[] hash)
    {
        if (level < 0 || level >= levels.Count || index < 0 || index >= counts[level])
        {
            hash = [];
            return false;
        }

        hash = levels[level].AsSpan(checked((int)(index * MerkleHash.Size)), MerkleHash.Size).ToArray();
        return true;
    }

    private void WriteLocked(MerkleNode node)
    {
        while (levels.Count <= node.Level)
        {
            levels.Add(new byte[16 * MerkleHash.Size]);
            counts.Add(0);
        }

        if (counts[node.Level] != node.Index)
        {
            throw new InvalidOperationException($"The Merkle node ({node.Level}, {node.Index}) is written out of order.");
        }

        var buffer = levels[node.Level];
        var offset = checked((int)(node.Index * MerkleHash.Size));
        if (offset + MerkleHash.Size > buffer.Length)
        {
            Array.Resize(ref buffer, checked(buffer.Length * 2));
            levels[node.Level] = buffer;
        }

        node.Hash.CopyTo(buffer, offset);
        counts[node.Level] = node.Index + 1;
    }
}
