using System.Buffers.Binary;

namespace CertLibrary.TransparencyLog.Tests;

public sealed class MillionLeafStore
{
    public const int Size = 1_000_000;

    public MillionLeafStore()
    {
        Span<byte> input = stackalloc byte[8];
        for (var i = 0; i < Size; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(input, i);
            Store.Append(input);
        }
    }

    public InMemoryMerkleNodeStore Store { get; } = new();
}

public sealed class ScaleTests(MillionLeafStore fixture) : IClassFixture<MillionLeafStore>
{
    [Theory]
    [InlineData(0L, MillionLeafStore.Size)]
    [InlineData(123_457L, MillionLeafStore.Size)]
    [InlineData(MillionLeafStore.Size - 1L, MillionLeafStore.Size)]
    [InlineData(524_287L, 999_999L)]
    public async Task InclusionProofAsync_MillionLeaves_ReadsFewNodesInOneBatch(long index, long size)
    {
        var counting = new CountingReader(fixture.Store);
        var root = await MerkleProofs.RootAsync(fixture.Store, size);

        var path = await MerkleProofs.InclusionProofAsync(counting, index, size);

        Assert.Equal(1, counting.BatchCalls);
        Assert.Equal(0, counting.SingleCalls);
        Assert.InRange(counting.NodesRead, 1, 99);
        Assert.True(MerkleVerifier.VerifyInclusion(LeafHash(index), index, size, path, root));
    }

    [Theory]
    [InlineData(1L, MillionLeafStore.Size)]
    [InlineData(1000L, MillionLeafStore.Size)]
    [InlineData(524_288L, 999_999L)]
    [InlineData(777_777L, MillionLeafStore.Size)]
    [InlineData(999_999L, MillionLeafStore.Size)]
    public async Task ConsistencyProofAsync_MillionLeaves_ReadsFewNodesInOneBatch(long first, long second)
    {
        var counting = new CountingReader(fixture.Store);
        var firstRoot = await MerkleProofs.RootAsync(fixture.Store, first);
        var secondRoot = await MerkleProofs.RootAsync(fixture.Store, second);

        var proof = await MerkleProofs.ConsistencyProofAsync(counting, first, second);

        Assert.Equal(1, counting.BatchCalls);
        Assert.Equal(0, counting.SingleCalls);
        Assert.InRange(counting.NodesRead, 1, 99);
        Assert.True(MerkleVerifier.VerifyConsistency(first, second, firstRoot, secondRoot, proof));
    }

    [Fact]
    public async Task RootAsync_MillionLeaves_ReadsOneNodePerSetBit()
    {
        var counting = new CountingReader(fixture.Store);

        await MerkleProofs.RootAsync(counting, MillionLeafStore.Size);

        Assert.Equal(1, counting.BatchCalls);
        Assert.Equal(System.Numerics.BitOperations.PopCount(MillionLeafStore.Size), counting.NodesRead);
    }

    private static byte[] LeafHash(long index)
    {
        var input = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(input, index);
        return MerkleHash.Leaf(input);
    }
}
