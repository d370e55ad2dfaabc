using System.Security.Cryptography;

namespace CertLibrary.TransparencyLog;

/// <summary>
/// The hash functions of an RFC 6962 / RFC 9162 (§2.1) Merkle tree over SHA-256:
/// a leaf hash is <c>SHA-256(0x00 ‖ leafInput)</c>, an interior node hash is
/// <c>SHA-256(0x01 ‖ left ‖ right)</c>, and the root of the empty tree is <c>SHA-256("")</c>.
/// </summary>
public static class MerkleHash
{
    /// <summary>The length of every hash in the tree, in bytes.</summary>
    public const int Size = 32;

    private const int StackLimit = 256;

    private static readonly byte[] EmptyHash = SHA256.HashData([]);

    /// <summary>The Merkle tree hash of the empty tree, <c>SHA-256("")</c>. A new array on every call.</summary>
    public static byte[] Empty => (byte[])EmptyHash.Clone();

    /// <summary>Computes the leaf hash <c>SHA-256(0x00 ‖ leafInput)</c>.</summary>
    /// <param name="leafInput">The exact bytes of the log entry.</param>
    /// <returns>A new 32-byte array.</returns>
    public static byte[] Leaf(ReadOnlySpan<byte> leafInput)
    {
        var result = new byte[Size];
        if (leafInput.Length < StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            buffer[0] = 0x00;
            leafInput.CopyTo(buffer[1..]);
            SHA256.HashData(buffer[..(leafInput.Length + 1)], result);
            return result;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x00]);
        hash.AppendData(leafInput);
        hash.GetHashAndReset(result);
        return result;
    }

    /// <summary>Computes the interior node hash <c>SHA-256(0x01 ‖ left ‖ right)</c>.</summary>
    /// <param name="left">The 32-byte hash of the left child.</param>
    /// <param name="right">The 32-byte hash of the right child.</param>
    /// <returns>A new 32-byte array.</returns>
    /// <exception cref="ArgumentException">A child hash is not 32 bytes long.</exception>
    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (left.Length != Size)
        {
            throw new ArgumentException($"A node hash must be {Size} bytes, not {left.Length}.", nameof(left));
        }

        if (right.Length != Size)
        {
            throw new ArgumentException($"A node hash must be {Size} bytes, not {right.Length}.", nameof(right));
        }

        Span<byte> buffer = stackalloc byte[1 + (2 * Size)];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        var result = new byte[Size];
        SHA256.HashData(buffer, result);
        return result;
    }
}
