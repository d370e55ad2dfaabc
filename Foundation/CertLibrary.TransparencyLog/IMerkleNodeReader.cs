namespace CertLibrary.TransparencyLog;

/// <summary>
/// Reads stored nodes of a Merkle tree. A node <c>(level, index)</c> is the hash of the complete, aligned
/// subtree over the leaves <c>[index·2^level, (index+1)·2^level)</c>; level 0 holds the leaf hashes.
/// Complete nodes never change once written, so an implementation may cache them freely.
/// </summary>
/// <remarks>
/// <see cref="MerkleProofs"/> asks for every node of a proof or root in a single
/// <see cref="GetNodesAsync"/> call, so a database implementation can answer it with one query
/// (for example <c>WHERE (level, index) IN (...)</c>).
/// </remarks>
public interface IMerkleNodeReader
{
    /// <summary>Reads one node.</summary>
    /// <param name="level">The level of the node; 0 for a leaf hash.</param>
    /// <param name="index">The index of the node within its level.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The 32-byte hash of the node.</returns>
    /// <exception cref="KeyNotFoundException">The node is not stored (the subtree is not complete yet).</exception>
    ValueTask<byte[]> GetNodeAsync(int level, long index, CancellationToken cancellationToken);

    /// <summary>Reads several nodes at once.</summary>
    /// <param name="ids">The nodes to read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The hash of every requested node that is stored, keyed by its id. A node that is not stored is absent
    /// from the result; the caller decides whether that is an error.
    /// </returns>
    ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> GetNodesAsync(
        IReadOnlyCollection<(int Level, long Index)> ids,
        CancellationToken cancellationToken);
}
