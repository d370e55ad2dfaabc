using System.Security.Cryptography;

namespace CertLibrary.TransparencyLog;

/// <summary>
/// Verifies inclusion and consistency proofs with the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.
/// Any input, however malformed, gives <see langword="false"/> rather than an exception.
/// </summary>
public static class MerkleVerifier
{
    /// <summary>
    /// Checks that the leaf with hash <paramref name="leafHash"/> is at <paramref name="leafIndex"/> in the
    /// tree of <paramref name="treeSize"/> leaves whose root is <paramref name="expectedRoot"/>
    /// (RFC 9162 §2.1.3.2).
    /// </summary>
    /// <param name="leafHash">The 32-byte leaf hash, <see cref="MerkleHash.Leaf"/> of the entry.</param>
    /// <param name="leafIndex">The 0-based index of the leaf.</param>
    /// <param name="treeSize">The size of the tree.</param>
    /// <param name="path">The audit path, deepest sibling first.</param>
    /// <param name="expectedRoot">The 32-byte root hash of the tree, from a trusted tree head.</param>
    /// <returns><see langword="true"/> only if the proof is well formed and leads to <paramref name="expectedRoot"/>.</returns>
    public static bool VerifyInclusion(
        byte[]? leafHash,
        long leafIndex,
        long treeSize,
        IReadOnlyList<byte[]>? path,
        byte[]? expectedRoot)
    {
        if (!IsHash(leafHash) || !IsHash(expectedRoot) || path is null || !AllHashes(path)
            || leafIndex < 0 || treeSize <= 0 || leafIndex >= treeSize)
        {
            return false;
        }

        var fn = leafIndex;
        var sn = treeSize - 1;
        var r = leafHash!;
        foreach (var p in path)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, expectedRoot);
    }

    /// <summary>
    /// Checks that the tree of <paramref name="first"/> leaves with root <paramref name="firstRoot"/> is a
    /// prefix of the tree of <paramref name="second"/> leaves with root <paramref name="secondRoot"/>
    /// (RFC 9162 §2.1.4.2).
    /// </summary>
    /// <param name="first">The size of the older tree.</param>
    /// <param name="second">The size of the newer tree.</param>
    /// <param name="firstRoot">The 32-byte root of the older tree.</param>
    /// <param name="secondRoot">The 32-byte root of the newer tree.</param>
    /// <param name="proof">The consistency proof PROOF(first, D[second]).</param>
    /// <returns>
    /// <see langword="true"/> only if the proof is well formed and proves consistency. When
    /// <paramref name="first"/> equals <paramref name="second"/>, the proof must be empty and the roots equal;
    /// when <paramref name="first"/> is 0, the proof must be empty and <paramref name="firstRoot"/> must be
    /// the empty-tree hash.
    /// </returns>
    public static bool VerifyConsistency(
        long first,
        long second,
        byte[]? firstRoot,
        byte[]? secondRoot,
        IReadOnlyList<byte[]>? proof)
    {
        if (!IsHash(firstRoot) || !IsHash(secondRoot) || proof is null || !AllHashes(proof)
            || first < 0 || second < first)
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(firstRoot, secondRoot);
        }

        if (first == 0)
        {
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(firstRoot, MerkleHash.Empty);
        }

        if (proof.Count == 0)
        {
            return false;
        }

        var path = new List<byte[]>(proof.Count + 1);
        if ((first & (first - 1)) == 0)
        {
            path.Add(firstRoot!);
        }

        path.AddRange(proof);

        var fn = first - 1;
        var sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0
            && CryptographicOperations.FixedTimeEquals(fr, firstRoot)
            && CryptographicOperations.FixedTimeEquals(sr, secondRoot);
    }

    private static bool IsHash(byte[]? hash) => hash is { Length: MerkleHash.Size };

    private static bool AllHashes(IReadOnlyList<byte[]> hashes)
    {
        for (var i = 0; i < hashes.Count; i++)
        {
            if (!IsHash(hashes[i]))
            {
                return false;
            }
        }

        return true;
    }
}
