namespace CertLibrary.TransparencyLog;

/// <summary>
/// A stored node of the tree: the hash of the complete, aligned subtree at <paramref name="Level"/> and
/// <paramref name="Index"/>, which covers the leaves <c>[Index·2^Level, (Index+1)·2^Level)</c>.
/// Level 0 holds the leaf hashes.
/// </summary>
/// <param name="Level">The height of the subtree; 0 for a leaf.</param>
/// <param name="Index">The position of the subtree among the subtrees of its level, from 0.</param>
/// <param name="Hash">The 32-byte Merkle tree hash of the subtree.</param>
public sealed record MerkleNode(int Level, long Index, byte[] Hash);
