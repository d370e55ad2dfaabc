using System.Buffers.Binary;

namespace CertLibrary.TransparencyLog;

/// <summary>
/// A tree head as published at <c>GET /api/v1/log/tree-head</c> (SPEC §7): the tree size, the time it was
/// produced, the root hash and the log's signature over <see cref="ToSigningInput"/>.
/// </summary>
/// <param name="TreeSize">The number of entries in the tree.</param>
/// <param name="Timestamp">Milliseconds since the Unix epoch, as RFC 6962 §3.5.</param>
/// <param name="RootHash">Base64 of the 32-byte Merkle tree hash.</param>
/// <param name="Signature">The signature over <see cref="ToSigningInput"/>, produced elsewhere; null before signing.</param>
public sealed record SignedTreeHead(long TreeSize, long Timestamp, string RootHash, string? Signature = null)
{
    /// <summary>The length of <see cref="ToSigningInput"/>: 1 + 1 + 8 + 8 + 32 bytes.</summary>
    public const int SigningInputLength = 50;

    /// <summary>Creates an unsigned tree head.</summary>
    /// <param name="treeSize">The number of entries.</param>
    /// <param name="time">When the tree head was produced.</param>
    /// <param name="rootHash">The 32-byte root hash.</param>
    /// <returns>The tree head, with <see cref="Signature"/> null.</returns>
    public static SignedTreeHead Create(long treeSize, DateTimeOffset time, byte[] rootHash)
    {
        ArgumentNullException.ThrowIfNull(rootHash);
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        if (rootHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A root hash must be {MerkleHash.Size} bytes.", nameof(rootHash));
        }

        return new SignedTreeHead(treeSize, time.ToUnixTimeMilliseconds(), Convert.ToBase64String(rootHash));
    }

    /// <summary>Decodes <see cref="RootHash"/>.</summary>
    /// <param name="rootHash">The 32-byte root hash when the method returns <see langword="true"/>.</param>
    /// <returns>Whether <see cref="RootHash"/> is the base64 of exactly 32 bytes.</returns>
    public bool TryGetRootHash(out byte[] rootHash)
    {
        Span<byte> decoded = stackalloc byte[MerkleHash.Size + 3];
        if (RootHash is not null && Convert.TryFromBase64String(RootHash, decoded, out var written) && written == MerkleHash.Size)
        {
            rootHash = decoded[..written].ToArray();
            return true;
        }

        rootHash = [];
        return false;
    }

    /// <summary>
    /// The bytes the log signs: the RFC 6962 §3.5 <c>TreeHeadSignature</c> structure in TLS encoding, so any
    /// RFC 6962 tooling can check it. Layout (big-endian, 50 bytes): <c>version</c> (1 byte, v1 = 0),
    /// <c>signature_type</c> (1 byte, tree_hash = 1), <c>timestamp</c> (uint64, ms since the epoch),
    /// <c>tree_size</c> (uint64), <c>sha256_root_hash</c> (32 bytes).
    /// </summary>
    /// <returns>A new 50-byte array.</returns>
    /// <exception cref="InvalidOperationException">The size or timestamp is negative, or the root hash is not base64 of 32 bytes.</exception>
    public byte[] ToSigningInput()
    {
        if (TreeSize < 0 || Timestamp < 0)
        {
            throw new InvalidOperationException("A tree head's size and timestamp must not be negative.");
        }

        if (!TryGetRootHash(out var root))
        {
            throw new InvalidOperationException("A tree head's root hash must be the base64 of 32 bytes.");
        }

        var input = new byte[SigningInputLength];
        input[0] = 0; // Version v1
        input[1] = 1; // SignatureType tree_hash
        BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(2), (ulong)Timestamp);
        BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(10), (ulong)TreeSize);
        root.CopyTo(input, 18);
        return input;
    }
}
