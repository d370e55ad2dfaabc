namespace CertLibrary.TransparencyLog.Tests;

public sealed class VerifierGarbageTests
{
    private static readonly InMemoryMerkleNodeStore Store = TestSupport.StoreOf(TestSupport.CtLeaves);

    [Fact]
    public async Task VerifyInclusion_MalformedInput_ReturnsFalseWithoutThrowing()
    {
        var root = await MerkleProofs.RootAsync(Store, 7);
        var leaf = MerkleHash.Leaf(TestSupport.CtLeaves[2]);
        var path = (await MerkleProofs.InclusionProofAsync(Store, 2, 7)).ToArray();
        Assert.True(MerkleVerifier.VerifyInclusion(leaf, 2, 7, path, root));

        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 7, 7, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 8, 7, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, -1, 7, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 0, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, -7, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, long.MaxValue, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, long.MaxValue - 1, long.MaxValue, path, root));
        // Sizes whose audit path has another length (sizes 5 to 8 share the shape of this path).
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 4, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 9, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, path[..^1], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, [.. path, path[0]], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, [], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, null, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, [path[0], null!, path[2]], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, [path[0], path[1][..31], path[2]], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, [path[0], [.. path[1], 0], path[2]], root));
        Assert.False(MerkleVerifier.VerifyInclusion(null, 2, 7, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf[..16], 2, 7, path, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, path, null));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 2, 7, path, []));
    }

    [Fact]
    public void VerifyInclusion_SingleLeafTree_NeedsEmptyPathAndLeafAsRoot()
    {
        var leaf = MerkleHash.Leaf(TestSupport.CtLeaves[0]);

        Assert.True(MerkleVerifier.VerifyInclusion(leaf, 0, 1, [], leaf));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 0, 1, [leaf], MerkleHash.Node(leaf, leaf)));
    }

    [Fact]
    public async Task VerifyConsistency_MalformedInput_ReturnsFalseWithoutThrowing()
    {
        var r3 = await MerkleProofs.RootAsync(Store, 3);
        var r7 = await MerkleProofs.RootAsync(Store, 7);
        var proof = (await MerkleProofs.ConsistencyProofAsync(Store, 3, 7)).ToArray();
        Assert.True(MerkleVerifier.VerifyConsistency(3, 7, r3, r7, proof));

        Assert.False(MerkleVerifier.VerifyConsistency(7, 3, r7, r3, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(-3, 7, r3, r7, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(3, -7, r3, r7, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(3, long.MaxValue, r3, r7, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3, r7, proof[..^1]));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3, r7, [.. proof, proof[0]]));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3, r7, []));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3, r7, null));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3, r7, [null!, proof[1]]));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3, r7, [proof[0][..20], .. proof[1..]]));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, null, r7, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3, null, proof));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 7, r3[..31], r7, proof));
    }

    [Fact]
    public async Task VerifyConsistency_EqualSizes_NeedsEmptyProofAndEqualRoots()
    {
        var r5 = await MerkleProofs.RootAsync(Store, 5);
        var r6 = await MerkleProofs.RootAsync(Store, 6);

        Assert.True(MerkleVerifier.VerifyConsistency(5, 5, r5, r5, []));
        Assert.False(MerkleVerifier.VerifyConsistency(5, 5, r5, r6, []));
        Assert.False(MerkleVerifier.VerifyConsistency(5, 5, r5, r5, [r5]));
    }

    [Fact]
    public async Task VerifyConsistency_EmptyFirstTree_NeedsEmptyProofAndEmptyRoot()
    {
        var r5 = await MerkleProofs.RootAsync(Store, 5);

        Assert.Empty(await MerkleProofs.ConsistencyProofAsync(Store, 0, 5));
        Assert.True(MerkleVerifier.VerifyConsistency(0, 5, MerkleHash.Empty, r5, []));
        Assert.False(MerkleVerifier.VerifyConsistency(0, 5, r5, r5, []));
        Assert.False(MerkleVerifier.VerifyConsistency(0, 5, MerkleHash.Empty, r5, [r5]));
    }

    [Fact]
    public async Task ProofMethods_OutOfRangeArguments_Throw()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await MerkleProofs.InclusionProofAsync(Store, 8, 8));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await MerkleProofs.InclusionProofAsync(Store, -1, 8));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await MerkleProofs.ConsistencyProofAsync(Store, 5, 4));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await MerkleProofs.RootAsync(Store, -1));
    }

    [Fact]
    public async Task RootAsync_TreeLargerThanStored_ThrowsInvalidOperation()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await MerkleProofs.RootAsync(Store, 9));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await MerkleProofs.InclusionProofAsync(Store, 0, 12));
    }
}
