namespace CertLibrary.TransparencyLog.Tests;

internal static class TestSupport
{
    /// <summary>The eight leaf inputs of the certificate-transparency reference Merkle tree tests.</summary>
    public static readonly byte[][] CtLeaves =
    [
        Convert.FromHexString(""),
        Convert.FromHexString("00"),
        Convert.FromHexString("10"),
        Convert.FromHexString("2021"),
        Convert.FromHexString("3031"),
        Convert.FromHexString("40414243"),
        Convert.FromHexString("5051525354555657"),
        Convert.FromHexString("606162636465666768696a6b6c6d6e6f"),
    ];

    public static InMemoryMerkleNodeStore StoreOf(IEnumerable<byte[]> leafInputs)
    {
        var store = new InMemoryMerkleNodeStore();
        foreach (var leaf in leafInputs)
        {
            store.Append(leaf);
        }

        return store;
    }

    public static byte[][] RandomLeaves(Random random, int count)
    {
        var leaves = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            leaves[i] = new byte[random.Next(0, 40)];
            random.NextBytes(leaves[i]);
        }

        return leaves;
    }

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    public static List<string> Hex(IEnumerable<byte[]> hashes) => hashes.Select(Hex).ToList();

    public static byte[] FlipBit(byte[] hash, int bit)
    {
        var copy = (byte[])hash.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }
}

/// <summary>Wraps a reader and counts every read, to prove how much a proof touches.</summary>
internal sealed class CountingReader(IMerkleNodeReader inner) : IMerkleNodeReader
{
    public int SingleCalls { get; private set; }

    public int BatchCalls { get; private set; }

    public int NodesRead { get; private set; }

    public ValueTask<byte[]> GetNodeAsync(int level, long index, CancellationToken cancellationToken)
    {
        SingleCalls++;
        NodesRead++;
        return inner.GetNodeAsync(level, index, cancellationToken);
    }

    public ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> GetNodesAsync(
        IReadOnlyCollection<(int Level, long Index)> ids,
        CancellationToken cancellationToken)
    {
        BatchCalls++;
        NodesRead += ids.Count;
        return inner.GetNodesAsync(ids, cancellationToken);
    }
}
