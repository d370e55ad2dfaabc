namespace CertLibrary.TransparencyLog.Tests;

public sealed class RfcVectorTests
{
    // Roots of the certificate-transparency reference tests (merkle_tree_test.cc) for the eight CT leaves.
    [Theory]
    [InlineData(1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]
    [InlineData(2, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]
    [InlineData(3, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77")]
    [InlineData(4, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]
    [InlineData(5, "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4")]
    [InlineData(6, "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef")]
    [InlineData(7, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c")]
    [InlineData(8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
    public async Task RootAsync_CtTestLeaves_MatchesPublishedRoot(int size, string expectedHex)
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves);

        var root = await MerkleProofs.RootAsync(store, size);

        Assert.Equal(expectedHex, TestSupport.Hex(root));
        Assert.Equal(expectedHex, TestSupport.Hex(RfcReference.Mth(TestSupport.CtLeaves[..size])));
    }

    [Fact]
    public async Task RootAsync_EmptyTree_IsSha256OfEmptyString()
    {
        var root = await MerkleProofs.RootAsync(new InMemoryMerkleNodeStore(), 0);

        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TestSupport.Hex(root));
        Assert.Equal(TestSupport.Hex(MerkleHash.Empty), TestSupport.Hex(root));
    }

    [Fact]
    public async Task RootAsync_EverySizeOneToEight_EqualsReference()
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves);

        for (var n = 1; n <= 8; n++)
        {
            var root = await MerkleProofs.RootAsync(store, n);
            Assert.Equal(TestSupport.Hex(RfcReference.Mth(TestSupport.CtLeaves[..n])), TestSupport.Hex(root));
        }
    }

    [Fact]
    public async Task InclusionProofAsync_EveryIndexAndSizeUpToEight_EqualsReferenceAndVerifies()
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves);

        for (var n = 1; n <= 8; n++)
        {
            var leaves = TestSupport.CtLeaves[..n];
            var root = RfcReference.Mth(leaves);
            for (var m = 0; m < n; m++)
            {
                var path = await MerkleProofs.InclusionProofAsync(store, m, n);

                Assert.Equal(TestSupport.Hex(RfcReference.Path(m, leaves)), TestSupport.Hex(path));
                Assert.True(MerkleVerifier.VerifyInclusion(RfcReference.LeafHash(leaves[m]), m, n, path, root), $"PATH({m}, D[{n}])");
            }
        }
    }

    [Fact]
    public async Task ConsistencyProofAsync_EveryPairUpToEight_EqualsReferenceAndVerifies()
    {
        var store = TestSupport.StoreOf(TestSupport.CtLeaves);

        for (var n = 1; n <= 8; n++)
        {
            for (var m = 1; m <= n; m++)
            {
                var proof = await MerkleProofs.ConsistencyProofAsync(store, m, n);

                Assert.Equal(TestSupport.Hex(RfcReference.Proof(m, TestSupport.CtLeaves[..n])), TestSupport.Hex(proof));
                var firstRoot = RfcReference.Mth(TestSupport.CtLeaves[..m]);
                var secondRoot = RfcReference.Mth(TestSupport.CtLeaves[..n]);
                Assert.True(MerkleVerifier.VerifyConsistency(m, n, firstRoot, secondRoot, proof), $"PROOF({m}, D[{n}])");
            }
        }
    }

    [Fact]
    public void Leaf_EmptyInput_IsHashOfZeroByte()
    {
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", TestSupport.Hex(MerkleHash.Leaf([])));
    }

    [Fact]
    public void Leaf_LongInput_EqualsShortPathHash()
    {
        var input = new byte[5000];
        new Random(3).NextBytes(input);

        Assert.Equal(TestSupport.Hex(RfcReference.LeafHash(input)), TestSupport.Hex(MerkleHash.Leaf(input)));
    }

    [Fact]
    public void Node_ChildOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => MerkleHash.Node(new byte[31], new byte[32]));
        Assert.Throws<ArgumentException>(() => MerkleHash.Node(new byte[32], new byte[33]));
    }
}
