using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

public sealed class KeyManagerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task GetSignersAsync_FirstUse_CreatesOneKeyPerSuite()
    {
        var store = new InMemorySigningKeyStore();
        var keys = TestFixtures.CreateKeyManager(new FakeTimeProvider(), store);

        var signers = await keys.GetSignersAsync(TestFixtures.Department, None);

        Assert.Equal(["ES256", "SM2"], signers.Select(s => s.Algorithm));
        var stored = await store.ListByOwnerAsync(TestFixtures.Department, None);
        Assert.Equal(2, stored.Count);
        Assert.All(stored, k => Assert.Equal(KeyId.Compute(k.SubjectPublicKeyInfo), k.KeyId));
        Assert.Equal(signers.Select(s => s.KeyId).Order(), stored.Select(k => k.KeyId).Order());
    }

    [Fact]
    public async Task GetSignersAsync_SecondCall_ReturnsSameKeysAndCachedSigners()
    {
        var keys = TestFixtures.CreateKeyManager(new FakeTimeProvider());

        var first = await keys.GetSignersAsync(TestFixtures.Department, None);
        var second = await keys.GetSignersAsync(TestFixtures.Department, None);

        Assert.Equal(first.Select(s => s.KeyId), second.Select(s => s.KeyId));
        Assert.Same(first[0].Signer, second[0].Signer);
    }

    [Fact]
    public async Task GetSignersAsync_ParallelFirstCalls_CreateOnlyOneActiveKeyPerSuite()
    {
        var store = new InMemorySigningKeyStore();
        var keys = TestFixtures.CreateKeyManager(new FakeTimeProvider(), store);

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => keys.GetSignersAsync(TestFixtures.Department, None))));

        Assert.Equal(2, (await store.ListAllAsync(None)).Count);
        Assert.Single(results.Select(r => string.Join(",", r.Select(s => s.KeyId))).Distinct());
    }

    [Fact]
    public async Task GetSignersAsync_PrivateKeysInStore_AreEncrypted()
    {
        var store = new InMemorySigningKeyStore();
        var keys = TestFixtures.CreateKeyManager(new FakeTimeProvider(), store);
        await keys.GetSignersAsync(TestFixtures.Department, None);

        foreach (var record in await store.ListAllAsync(None))
        {
            Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(
                () => TestFixtures.Suite(record.Algorithm).CreateSigner(record.EncryptedPrivateKey));
        }
    }

    [Fact]
    public async Task RotateAsync_OldSignature_StillVerifiesAndNewSignaturesUseNewKid()
    {
        var time = new FakeTimeProvider();
        var keys = TestFixtures.CreateKeyManager(time);
        var payload = "{\"id\":\"1\"}"u8.ToArray();
        var oldSigners = await keys.GetSignersAsync(TestFixtures.Department, None);
        var oldJws = Jws.SignGeneral(payload, oldSigners, "certlib-cert+json");
        time.Advance(TimeSpan.FromDays(30));

        var rotated = await keys.RotateAsync(TestFixtures.Department, None);
        var newSigners = await keys.GetSignersAsync(TestFixtures.Department, None);
        var newJws = Jws.SignGeneral(payload, newSigners, "certlib-cert+json");
        var trustList = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromDays(1), None);
        var roots = (await keys.GetAllKeysAsync(None)).Where(k => k.OwnerCode == SigningKeyRecord.PlatformOwner)
            .Select(k => TestFixtures.Suite(k.Algorithm).ExportJwk(k.SubjectPublicKeyInfo));
        var verifiedList = TrustList.Verify(trustList, roots, TestFixtures.Suites, time.GetUtcNow());

        Assert.True(verifiedList.IsValid, string.Join(", ", verifiedList.Reasons));
        var oldResult = Jws.VerifyGeneral(oldJws, verifiedList.KeyResolver!, ["ES256", "SM2"]);
        Assert.True(oldResult.IsValid, string.Join(", ", oldResult.Reasons));
        Assert.All(oldResult.Signatures, s => Assert.Equal(time.GetUtcNow(), s.Key!.RetiredAt));
        Assert.True(Jws.VerifyGeneral(newJws, verifiedList.KeyResolver!, ["ES256", "SM2"]).IsValid);
        Assert.Equal(rotated.Select(k => k.KeyId).Order(), newSigners.Select(s => s.KeyId).Order());
        Assert.Empty(newSigners.Select(s => s.KeyId).Intersect(oldSigners.Select(s => s.KeyId)));
        var oldRecords = (await keys.GetAllKeysAsync(None)).Where(k => oldSigners.Any(s => s.KeyId == k.KeyId)).ToList();
        Assert.Equal(2, oldRecords.Count);
        Assert.All(oldRecords, k => Assert.Equal(time.GetUtcNow(), k.RetiredAt));
        Assert.All(rotated, k => Assert.Null(k.RetiredAt));
    }

    [Fact]
    public async Task RotateAsync_OtherOwner_IsUnaffected()
    {
        var keys = TestFixtures.CreateKeyManager(new FakeTimeProvider());
        var other = await keys.GetSignersAsync(TestFixtures.OtherDepartment, None);

        await keys.RotateAsync(TestFixtures.Department, None);

        Assert.Equal(other.Select(s => s.KeyId), (await keys.GetSignersAsync(TestFixtures.OtherDepartment, None)).Select(s => s.KeyId));
    }

    [Fact]
    public async Task RevokeAsync_ActiveKey_IsReportedRevokedAndReplacedOnNextUse()
    {
        var time = new FakeTimeProvider();
        var keys = TestFixtures.CreateKeyManager(time);
        var signers = await keys.GetSignersAsync(TestFixtures.Department, None);
        var sm2 = signers.Single(s => s.Algorithm == "SM2");
        var jws = Jws.SignCompact("x"u8, sm2, "certlib-cert+json");
        time.Advance(TimeSpan.FromHours(1));

        Assert.True(await keys.RevokeAsync(sm2.KeyId, None));
        Assert.False(await keys.RevokeAsync(sm2.KeyId, None));
        var after = await keys.GetSignersAsync(TestFixtures.Department, None);

        var record = (await keys.GetAllKeysAsync(None)).Single(k => k.KeyId == sm2.KeyId);
        Assert.Equal(time.GetUtcNow(), record.RevokedAt);
        Assert.NotEqual(sm2.KeyId, after.Single(s => s.Algorithm == "SM2").KeyId);
        Assert.Equal(signers.Single(s => s.Algorithm == "ES256").KeyId, after.Single(s => s.Algorithm == "ES256").KeyId);
        var result = Jws.VerifyCompact(jws, await TestFixtures.ResolverAsync(keys));
        Assert.True(result.IsValid);
        Assert.Equal(time.GetUtcNow(), result.Signatures[0].Key!.RevokedAt);
    }

    [Fact]
    public async Task RevokeAsync_UnknownKid_ReturnsFalse()
    {
        var keys = TestFixtures.CreateKeyManager(new FakeTimeProvider());

        Assert.False(await keys.RevokeAsync("AAAAAAAAAAA", None));
    }
}
