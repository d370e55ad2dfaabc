namespace CertLibrary.CertStore.Transparency;

/// <summary>An RFC 6962 §2.1.1 audit path for one leaf in a tree of a given size.</summary>
/// <param name="LeafIndex">The 0-based index of the leaf.</param>
/// <param name="TreeSize">The size of the tree the path leads to the root of.</param>
/// <param name="AuditPath">The 32-byte sibling hashes, deepest first.</param>
public sealed record InclusionProof(long LeafIndex, long TreeSize, IReadOnlyList<byte[]> AuditPath);

/// <summary>An RFC 6962 §2.1.2 consistency proof between two tree sizes.</summary>
/// <param name="First">The size of the older tree.</param>
/// <param name="Second">The size of the newer tree.</param>
/// <param name="Consistency">The 32-byte hashes of the proof.</param>
public sealed record ConsistencyProof(long First, long Second, IReadOnlyList<byte[]> Consistency);
