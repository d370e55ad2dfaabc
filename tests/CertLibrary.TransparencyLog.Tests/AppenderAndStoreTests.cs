namespace CertLibrary.TransparencyLog.Tests;

public sealed class AppenderAndStoreTests
{
    [Theory]
    [InlineData(0L, new int[] { 0 })]
    [InlineData(1L, new int[] { 0, 1 })]
    [InlineData(2L, new int[] { 0 })]
    [InlineData(3L, new int[] { 0, 1, 2 })]
    [InlineData(6L, new int[] { 0 })]
    [InlineData(7L, new int[] { 0, 1, 2, 3 })]
    [InlineData(1023L, new int[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })]
    public void ComputeNewNodes_LeafIndex_CompletesExactlyTheAlignedSubtreesEndingThere(long leafIndex, int[] expectedLevels)
    {
        var nodes = MerkleAppender.ComputeNewNodes(leafIndex, new byte[32], (_, _) => new byte[32]);

        Assert.Equal(expectedLevels, nodes.Select(n => n.Level));
        Assert.All(nodes, n => Assert.Equal(leafIndex >> n.Level, n.Index));
        Assert.Equal(expectedLevels.Length - 1, MerkleAppender.GetRequiredNodeIds(leafIndex).Count);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(6L)]
    [InlineData(7L)]
    [InlineData(8L)]
    [InlineData(37L)]
    [InlineData(64L)]
    public void GetFrontierNodeIds_AnyTreeSize_SufficeToAppendARunOfLeaves(long treeSize)
    {
        var leafHashes = Enumerable.Range(0, (int)treeSize + 70).Select(i => MerkleHash.Leaf([(byte)i, (byte)(i >> 8)])).ToArray();
        var reference = new Dictionary<(int, long), byte[]>();
        for (var i = 0; i < leafHashes.Length; i++)
        {
            foreach (var node in MerkleAppender.ComputeNewNodes(i, leafHashes[i], (l, x) => reference[(l, x)]))
            {
                reference[(node.Level, node.Index)] = node.Hash;
            }
        }

        var frontier = MerkleAppender.GetFrontierNodeIds(treeSize);
        var known = frontier.ToDictionary(id => id, id => reference[id]);
        for (var i = treeSize; i < leafHashes.Length; i++)
        {
            foreach (var node in MerkleAppender.ComputeNewNodes(i, leafHashes[i], (l, x) => known[(l, x)]))
            {
                known[(node.Level, node.Index)] = node.Hash;
                Assert.Equal(reference[(node.Level, node.Index)], node.Hash);
            }
        }

        Assert.Equal(long.PopCount(treeSize), frontier.Count);
        Assert.Equal(frontier.OrderByDescending(id => id.Level), frontier);
    }

    [Fact]
    public void ComputeNewNodes_SeventhLeaf_CombinesLeftSiblingsIntoRootOfEight()
    {
        var leafHashes = TestSupport.CtLeaves.Select(l => MerkleHash.Leaf(l)).ToArray();
        var stored = new Dictionary<(int, long), byte[]>();
        for (var i = 0; i < 8; i++)
        {
            foreach (var node in MerkleAppender.ComputeNewNodes(i, leafHashes[i], (l, x) => stored[(l, x)]))
            {
                stored[(node.Level, node.Index)] = node.Hash;
            }
        }

        Assert.Equal("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", TestSupport.Hex(stored[(3, 0)]));
        Assert.Equal(15, stored.Count);
    }

    [Fact]
    public async Task ComputeNewNodesAsync_ReaderHoldsSiblings_ReadsThemInOneBatch()
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves[..7]);
        var counting = new CountingReader(store);

        var nodes = await MerkleAppender.ComputeNewNodesAsync(7, MerkleHash.Leaf(TestSupport.CtLeaves[7]), counting, CancellationToken.None);

        Assert.Equal(1, counting.BatchCalls);
        Assert.Equal(3, counting.NodesRead);
        Assert.Equal("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", TestSupport.Hex(nodes[^1].Hash));
    }

    [Fact]
    public async Task ComputeNewNodesAsync_SiblingMissing_ThrowsInvalidOperation()
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves[..3]);

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await MerkleAppender.ComputeNewNodesAsync(5, new byte[32], store, CancellationToken.None));
    }

    [Fact]
    public void ComputeNewNodes_LeafHashOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => MerkleAppender.ComputeNewNodes(0, new byte[31], (_, _) => new byte[32]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleAppender.ComputeNewNodes(-1, new byte[32], (_, _) => new byte[32]));
    }

    [Fact]
    public async Task GetNodeAsync_IncompleteSubtree_ThrowsKeyNotFound()
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves[..3]);

        Assert.Equal(TestSupport.Hex(MerkleHash.Leaf(TestSupport.CtLeaves[2])), TestSupport.Hex(await store.GetNodeAsync(0, 2, CancellationToken.None)));
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await store.GetNodeAsync(1, 1, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await store.GetNodeAsync(0, 3, CancellationToken.None));
    }

    [Fact]
    public async Task GetNodeAsync_CallerMutatesResult_StoreUnchanged()
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves);
        var before = await MerkleProofs.RootAsync(store, 8);

        (await store.GetNodeAsync(3, 0, CancellationToken.None))[0] ^= 0xff;

        Assert.Equal(TestSupport.Hex(before), TestSupport.Hex(await MerkleProofs.RootAsync(store, 8)));
    }

    [Fact]
    public async Task Append_ConcurrentWriters_EveryLeafStoredOnceAtItsReturnedIndex()
    {
        var store = new InMemoryMerkleNodeStore();
        var inputs = new System.Collections.Concurrent.ConcurrentDictionary<long, byte[]>();

        await Parallel.ForAsync(0, 3000, async (i, ct) =>
        {
            var input = BitConverter.GetBytes(i);
            Assert.True(inputs.TryAdd(store.Append(input), input));
            if (i % 100 == 0)
            {
                var size = store.Size;
                var path = await MerkleProofs.InclusionProofAsync(store, size - 1, size, ct);
                Assert.True(MerkleVerifier.VerifyInclusion(
                    await store.GetNodeAsync(0, size - 1, ct), size - 1, size, path, await MerkleProofs.RootAsync(store, size, ct)));
            }
        });

        Assert.Equal(3000, store.Size);
        var ordered = Enumerable.Range(0, 3000).Select(i => inputs[i]).ToArray();
        Assert.Equal(TestSupport.Hex(RfcReference.Mth(ordered)), TestSupport.Hex(await MerkleProofs.RootAsync(store, 3000)));
    }
}
