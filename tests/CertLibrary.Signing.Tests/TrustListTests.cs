using System.Text;
using System.Text.Json.Nodes;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

public sealed class TrustListTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task<(KeyManager Keys, FakeTimeProvider Time, List<JsonObject> Roots)> SetUpAsync()
    {
        var time = new FakeTimeProvider();
        var keys = TestFixtures.CreateKeyManager(time);
        await keys.GetSignersAsync(TestFixtures.Department, None);
        await keys.GetSignersAsync(TestFixtures.OtherDepartment, None);
        await keys.GetSignersAsync(SigningKeyRecord.PlatformOwner, None);
        var roots = (await keys.GetAllKeysAsync(None))
            .Where(k => k.OwnerCode == SigningKeyRecord.PlatformOwner)
            .Select(k => TestFixtures.Suite(k.Algorithm).ExportJwk(k.SubjectPublicKeyInfo))
            .ToList();
        return (keys, time, roots);
    }

    [Fact]
    public async Task Verify_FreshList_ReturnsEveryDepartmentKey()
    {
        var (keys, time, roots) = await SetUpAsync();

        var signed = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(24), None);
        var result = TrustList.Verify(signed, roots, TestFixtures.Suites, time.GetUtcNow());

        Assert.True(result.IsValid, string.Join(", ", result.Reasons));
        Assert.False(result.IsStale);
        Assert.Null(result.StaleSince);
        Assert.Empty(result.Warnings);
        var document = result.Document!;
        Assert.Equal(time.GetUtcNow(), document.IssuedAt);
        Assert.Equal(time.GetUtcNow().AddHours(24), document.NextUpdate);
        Assert.Equal(4, document.Keys.Count);
        Assert.Equal(2, document.RootKeys.Count);
        Assert.Equal(2, signed["signatures"]!.AsArray().Count);
        foreach (var key in document.Keys)
        {
            Assert.Single(result.KeyResolver!.Resolve(key.KeyId));
            Assert.Equal(key.DepartmentCode, result.KeyResolver.Resolve(key.KeyId)[0].OwnerCode);
        }
    }

    [Fact]
    public async Task BuildAsync_Payload_HasSpecFieldNamesAndTyp()
    {
        var (keys, _, _) = await SetUpAsync();

        var signed = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(1), None);

        var headerText = Encoding.UTF8.GetString(Base64Url.Decode((string)signed["signatures"]![0]!["protected"]!));
        var header = JsonNode.Parse(headerText)!;
        Assert.Equal($"{{\"alg\":\"ES256\",\"kid\":\"{(string)header["kid"]!}\",\"typ\":\"certlib-trust-list+json\"}}", headerText);
        var payload = JsonNode.Parse(Base64Url.Decode((string)signed["payload"]!))!.AsObject();
        Assert.Equal(["issuedAt", "nextUpdate", "rootKeys", "keys"], payload.Select(p => p.Key));
        Assert.EndsWith("Z", (string)payload["issuedAt"]!, StringComparison.Ordinal);
        var key = payload["keys"]![0]!.AsObject();
        Assert.Equal(["kid", "alg", "departmentCode", "jwk", "notBefore", "retiredAt", "revokedAt"], key.Select(p => p.Key));
        Assert.Equal("EC", (string?)key["jwk"]!["kty"]);
    }

    [Fact]
    public async Task Verify_AfterNextUpdate_IsValidButStale()
    {
        var (keys, time, roots) = await SetUpAsync();
        var signed = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(24), None);
        var nextUpdate = time.GetUtcNow().AddHours(24);

        time.Advance(TimeSpan.FromDays(3));
        var result = TrustList.Verify(signed, roots, TestFixtures.Suites, time.GetUtcNow());

        Assert.True(result.IsValid);
        Assert.True(result.IsStale);
        Assert.Equal(nextUpdate, result.StaleSince);
        Assert.NotNull(result.KeyResolver);
    }

    [Fact]
    public async Task Verify_TamperedPayload_ReturnsInvalid()
    {
        var (keys, time, roots) = await SetUpAsync();
        var signed = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(24), None);
        var payload = JsonNode.Parse(Base64Url.Decode((string)signed["payload"]!))!;
        payload["keys"]![0]!["revokedAt"] = null;
        payload["nextUpdate"] = "2099-01-01T00:00:00Z";
        signed["payload"] = Base64Url.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString()));

        var result = TrustList.Verify(signed, roots, TestFixtures.Suites, time.GetUtcNow());

        Assert.False(result.IsValid);
        Assert.Null(result.Document);
        Assert.Null(result.KeyResolver);
        Assert.Contains(TrustList.SignatureInvalidReason, result.Reasons);
        Assert.Contains(JwsReasons.SignatureMismatch, result.Reasons);
    }

    [Fact]
    public async Task Verify_OneSuiteSignatureStripped_ReturnsInvalid()
    {
        var (keys, time, roots) = await SetUpAsync();
        var signed = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(24), None);
        signed["signatures"]!.AsArray().RemoveAt(1);

        var result = TrustList.Verify(signed, roots, TestFixtures.Suites, time.GetUtcNow());

        Assert.False(result.IsValid);
        Assert.Contains("required alg missing: SM2", result.Reasons);
    }

    [Fact]
    public async Task Verify_SignedByOtherRoot_ReturnsInvalid()
    {
        var (keys, time, _) = await SetUpAsync();
        var (_, _, otherRoots) = await SetUpAsync();
        var signed = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(24), None);

        var result = TrustList.Verify(signed, otherRoots, TestFixtures.Suites, time.GetUtcNow());

        Assert.False(result.IsValid);
        Assert.Contains(JwsReasons.UnknownKeyId, result.Reasons);
    }

    [Fact]
    public async Task Verify_DepartmentSignedDocumentOfOtherTyp_ReturnsInvalid()
    {
        var (keys, time, roots) = await SetUpAsync();
        var platform = await keys.GetSignersAsync(SigningKeyRecord.PlatformOwner, None);
        var signed = Jws.SignGeneral(Base64Url.Decode((string)(await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(1), None))["payload"]!), platform, "certlib-cert+json");

        var result = TrustList.Verify(signed, roots, TestFixtures.Suites, time.GetUtcNow());

        Assert.False(result.IsValid);
        Assert.Contains(TrustList.WrongTypeReason, result.Reasons);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("[1,2]")]
    [InlineData("{\"payload\":\"!!\",\"signatures\":[]}")]
    public void Verify_Garbage_ReturnsInvalidWithoutThrowing(string json)
    {
        var roots = new[] { TestFixtures.Suite("ES256").ExportJwk(TestFixtures.Suite("ES256").GenerateKeyPair().SubjectPublicKeyInfo) };
        var node = json.Length == 0 ? null : JsonNode.Parse(json);

        var result = TrustList.Verify(node, roots, TestFixtures.Suites, DateTimeOffset.UnixEpoch);

        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Reasons);
    }

    [Fact]
    public async Task Verify_RevokedKey_IsReportedByResolver()
    {
        var (keys, time, roots) = await SetUpAsync();
        var department = await keys.GetSignersAsync(TestFixtures.Department, None);
        var certificate = Jws.SignGeneral("{\"id\":\"c1\"}"u8, department, "certlib-cert+json");
        time.Advance(TimeSpan.FromMinutes(5));
        await keys.RevokeAsync(department[0].KeyId, None);

        var list = TrustList.Verify(await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(1), None), roots, TestFixtures.Suites, time.GetUtcNow());
        var result = Jws.VerifyGeneral(certificate, list.KeyResolver!, ["ES256", "SM2"]);

        Assert.True(result.IsValid);
        Assert.Equal(time.GetUtcNow(), result.Signatures[0].Key!.RevokedAt);
        Assert.Null(result.Signatures[1].Key!.RevokedAt);
        Assert.Equal(time.GetUtcNow(), list.Document!.Keys.Single(k => k.KeyId == department[0].KeyId).RevokedAt);
    }

    [Fact]
    public async Task Verify_KeysSharingKid_AreAllResolved()
    {
        var time = new FakeTimeProvider();
        var store = new InMemorySigningKeyStore();
        var keys = TestFixtures.CreateKeyManager(time, store);
        var signers = await keys.GetSignersAsync(TestFixtures.Department, None);
        var original = (await store.ListAllAsync(None)).First();
        await store.AddAsync(original with { OwnerCode = TestFixtures.OtherDepartment }, None);
        await keys.GetSignersAsync(SigningKeyRecord.PlatformOwner, None);
        var roots = (await keys.GetAllKeysAsync(None)).Where(k => k.OwnerCode == SigningKeyRecord.PlatformOwner)
            .Select(k => TestFixtures.Suite(k.Algorithm).ExportJwk(k.SubjectPublicKeyInfo));

        var list = TrustList.Verify(await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(1), None), roots, TestFixtures.Suites, time.GetUtcNow());

        Assert.Equal([TestFixtures.Department, TestFixtures.OtherDepartment], list.KeyResolver!.Resolve(original.KeyId).Select(k => k.OwnerCode).Order());
        Assert.Contains(signers, s => s.KeyId == original.KeyId);
    }

    [Fact]
    public async Task Verify_PinnedWithPublishedRootKeys_ReturnsValid()
    {
        var (keys, time, _) = await SetUpAsync();
        var signed = await TrustListBuilder.BuildAsync(keys, TimeSpan.FromHours(1), None);
        var published = JsonNode.Parse(Base64Url.Decode((string)signed["payload"]!))!["rootKeys"]!.AsArray().Select(n => n!.AsObject());

        var result = TrustList.Verify(signed, published, TestFixtures.Suites, time.GetUtcNow());

        Assert.True(result.IsValid, string.Join(", ", result.Reasons));
        Assert.All(result.Document!.RootKeys, jwk => Assert.NotNull(jwk["kid"]));
        Assert.Equal(SigningKeyRecord.PlatformOwner, result.KeyResolver!.Resolve((string)result.Document.RootKeys[0]["kid"]!)[0].OwnerCode);
    }
}
