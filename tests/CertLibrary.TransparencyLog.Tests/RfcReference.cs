using System.Security.Cryptography;

namespace CertLibrary.TransparencyLog.Tests;

/// <summary>
/// A naive implementation of RFC 6962 §2.1 (MTH), §2.1.1 (PATH) and §2.1.2 (PROOF / SUBPROOF), written straight
/// from the RFC text over the list of leaf inputs, independent of the library under test.
/// </summary>
internal static class RfcReference
{
    public static byte[] Mth(IReadOnlyList<byte[]> d)
    {
        var n = d.Count;
        if (n == 0)
        {
            return SHA256.HashData(Array.Empty<byte>());
        }

        if (n == 1)
        {
            return SHA256.HashData([0x00, .. d[0]]);
        }

        var k = K(n);
        return SHA256.HashData([0x01, .. Mth(Slice(d, 0, k)), .. Mth(Slice(d, k, n))]);
    }

    public static List<byte[]> Path(int m, IReadOnlyList<byte[]> d)
    {
        var n = d.Count;
        if (n == 1)
        {
            return [];
        }

        var k = K(n);
        if (m < k)
        {
            var path = Path(m, Slice(d, 0, k));
            path.Add(Mth(Slice(d, k, n)));
            return path;
        }

        var right = Path(m - k, Slice(d, k, n));
        right.Add(Mth(Slice(d, 0, k)));
        return right;
    }

    public static List<byte[]> Proof(int m, IReadOnlyList<byte[]> d) => Subproof(m, d, true);

    public static byte[] LeafHash(byte[] leafInput) => SHA256.HashData([0x00, .. leafInput]);

    private static List<byte[]> Subproof(int m, IReadOnlyList<byte[]> d, bool b)
    {
        var n = d.Count;
        if (m == n)
        {
            return b ? [] : [Mth(d)];
        }

        var k = K(n);
        if (m <= k)
        {
            var proof = Subproof(m, Slice(d, 0, k), b);
            proof.Add(Mth(Slice(d, k, n)));
            return proof;
        }

        var right = Subproof(m - k, Slice(d, k, n), false);
        right.Add(Mth(Slice(d, 0, k)));
        return right;
    }

    // The largest power of two smaller than n.
    private static int K(int n)
    {
        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }

    private static ArraySegment<byte[]> Slice(IReadOnlyList<byte[]> d, int start, int end)
    {
        var array = d is ArraySegment<byte[]> segment ? segment : new ArraySegment<byte[]>(d.ToArray());
        return array.Slice(start, end - start);
    }
}
