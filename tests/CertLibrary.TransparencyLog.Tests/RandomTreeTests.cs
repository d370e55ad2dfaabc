namespace CertLibrary.TransparencyLog.Tests;

public sealed class RandomTreeTests
{
    private const int MaxSize = 3000;

    private static readonly byte[][] Leaves = TestSupport.RandomLeaves(new Random(6962), MaxSize);

    private static readonly InMemoryMerkleNodeStore Store = TestSupport.StoreOf(Leaves);

    [Fact]
    public async Task RootAsync_RandomSizes_EqualsReference()
    {
        var random = new Random(1);
        int[] sizes = [.. Enumerable.Range(0, 20).Select(_ => random.Next(1, MaxSize + 1)), 1023, 1024, 1025, MaxSize];

        foreach (var n in sizes)
        {
            var root = await MerkleProofs.RootAsync(Store, n);
            Assert.Equal(TestSupport.Hex(RfcReference.Mth(Leaves[..n])), TestSupport.Hex(root));
        }
    }

    [Fact]
    public async Task InclusionProofAsync_RandomIndexes_EqualsReferenceAndVerifies()
    {
        var random = new Random(2);
        for (var i = 0; i < 40; i++)
        {
            var n = random.Next(1, MaxSize + 1);
            var m = i == 0 ? n - 1 : random.Next(0, n);
            var leaves = Leaves[..n];
            var root = await MerkleProofs.RootAsync(Store, n);

            var path = await MerkleProofs.InclusionProofAsync(Store, m, n);

            Assert.Equal(TestSupport.Hex(RfcReference.Path(m, leaves)), TestSupport.Hex(path));
            Assert.True(MerkleVerifier.VerifyInclusion(MerkleHash.Leaf(leaves[m]), m, n, path, root));
        }
    }

    [Fact]
    public async Task ConsistencyProofAsync_RandomSizes_EqualsReferenceAndVerifies()
    {
        var random = new Random(3);
        for (var i = 0; i < 40; i++)
        {
            var n = random.Next(1, MaxSize + 1);
            var m = random.Next(1, n + 1);
            var firstRoot = await MerkleProofs.RootAsync(Store, m);
            var secondRoot = await MerkleProofs.RootAsync(Store, n);

            var proof = await MerkleProofs.ConsistencyProofAsync(Store, m, n);

            Assert.Equal(TestSupport.Hex(RfcReference.Proof(m, Leaves[..n])), TestSupport.Hex(proof));
            Assert.True(MerkleVerifier.VerifyConsistency(m, n, firstRoot, secondRoot, proof), $"PROOF({m}, D[{n}])");
        }
    }

    [Fact]
    public async Task VerifyInclusion_AnyFlippedBitOrWrongInput_Fails()
    {
        const int n = 2345;
        const int m = 1234;
        var root = await MerkleProofs.RootAsync(Store, n);
        var leafHash = MerkleHash.Leaf(Leaves[m]);
        var path = await MerkleProofs.InclusionProofAsync(Store, m, n);
        Assert.True(MerkleVerifier.VerifyInclusion(leafHash, m, n, path, root));

        for (var element = 0; element < path.Count; element++)
        {
            foreach (var bit in new[] { 0, 77, 255 })
            {
                var tampered = path.ToArray();
                tampered[element] = TestSupport.FlipBit(path[element], bit);
                Assert.False(MerkleVerifier.VerifyInclusion(leafHash, m, n, tampered, root), $"element {element} bit {bit}");
            }
        }

        Assert.False(MerkleVerifier.VerifyInclusion(TestSupport.FlipBit(leafHash, 5), m, n, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leafHash, m, n, path, TestSupport.FlipBit(root, 200)));
        Assert.False(MerkleVerifier.VerifyInclusion(leafHash, m, n, path, await MerkleProofs.RootAsync(Store, n - 1)));
        Assert.False(MerkleVerifier.VerifyInclusion(leafHash, m + 1, n, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(MerkleHash.Leaf(Leaves[m + 1]), m, n, path, root));
    }

    [Fact]
    public async Task VerifyConsistency_AnyFlippedBitOrWrongRoot_Fails()
    {
        const int m = 1000;
        const int n = 2999;
        var firstRoot = await MerkleProofs.RootAsync(Store, m);
        var secondRoot = await MerkleProofs.RootAsync(Store, n);
        var proof = await MerkleProofs.ConsistencyProofAsync(Store, m, n);
        Assert.True(MerkleVerifier.VerifyConsistency(m, n, firstRoot, secondRoot, proof));

        for (var element = 0; element < proof.Count; element++)
        {
            var tampered = proof.ToArray();
            tampered[element] = TestSupport.FlipBit(proof[element], 131);
            Assert.False(MerkleVerifier.VerifyConsistency(m, n, firstRoot, secondRoot, tampered), $"element {element}");
        }

        Assert.False(MerkleVerifier.VerifyConsistency(m, n, TestSupport.FlipBit(firstRoot, 0), secondRoot, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(m, n, firstRoot, TestSupport.FlipBit(secondRoot, 0), proof));
        Assert.False(MerkleVerifier.VerifyConsistency(m, n, secondRoot, firstRoot, proof));
        // Sizes that change the shape of the proof (sizes with the same shape cannot be told apart by the proof alone).
        Assert.False(MerkleVerifier.VerifyConsistency(512, n, firstRoot, secondRoot, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(m, 4097, firstRoot, secondRoot, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(m, 1500, firstRoot, secondRoot, proof));
    }

    [Theory]
    [InlineData(3, 7, 8)]
    [InlineData(0, 1024, 1500)]
    [InlineData(999, 1000, 2999)]
    [InlineData(500, 512, 513)]
    public async Task VerifyConsistency_TreeWithOneRewrittenLeaf_Fails(int rewritten, int m, int n)
    {
        var forged = Leaves[..n].ToArray();
        forged[rewritten] = [.. forged[rewritten], 0x42];
        var forgedStore = TestSupport.StoreOf(forged);
        var honestFirstRoot = await MerkleProofs.RootAsync(Store, m);
        var honestSecondRoot = await MerkleProofs.RootAsync(Store, n);
        var forgedFirstRoot = await MerkleProofs.RootAsync(forgedStore, m);
        var forgedSecondRoot = await MerkleProofs.RootAsync(forgedStore, n);
        var forgedProof = await MerkleProofs.ConsistencyProofAsync(forgedStore, m, n);
        var honestProof = await MerkleProofs.ConsistencyProofAsync(Store, m, n);

        Assert.True(MerkleVerifier.VerifyConsistency(m, n, forgedFirstRoot, forgedSecondRoot, forgedProof));
        Assert.False(MerkleVerifier.VerifyConsistency(m, n, honestFirstRoot, forgedSecondRoot, forgedProof));
        Assert.False(MerkleVerifier.VerifyConsistency(m, n, honestFirstRoot, forgedSecondRoot, honestProof));
        Assert.False(MerkleVerifier.VerifyConsistency(m, n, forgedFirstRoot, honestSecondRoot, honestProof));
    }
}
