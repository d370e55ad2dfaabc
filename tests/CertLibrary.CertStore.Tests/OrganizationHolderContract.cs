using System.Text;
using System.Text.Json.Nodes;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Representatives;
using CertLibrary.Identifiers;
using CertLibrary.Signing;
using CertLibrary.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.CertStore.Tests;

/// <summary>Organisations as holders (法人一码, SPEC §3): every path on every backend.</summary>
public abstract class OrganizationHolderContract : IAsyncLifetime
{
    private static readonly Caller DepartmentA = new("client-a", TestData.IssuerA, false);
    private static readonly Caller DepartmentB = new("client-b", TestData.IssuerB, false);
    private static readonly Caller DepartmentC = new("client-c", TestData.UserC, false);
    private static readonly Caller Admin = new("admin", null, true);
    private static readonly HolderId Organization = HolderId.ForOrganization(CreditCode.Parse(TestData.Organization));
    private static readonly CitizenId Citizen = CitizenId.Parse(TestData.HolderNumber);

    private StoreNode _node = null!;

    protected abstract string Backend { get; }

    protected abstract Task<string> CreateLocationAsync();

    protected string Location { get; private set; } = "";

    protected byte[] MasterKey { get; } = TestEnvironment.NewMasterKey();

    private OneNumberManager OneNumber => _node.Services.GetRequiredService<OneNumberManager>();

    private RepresentativeManager Representatives => _node.Services.GetRequiredService<RepresentativeManager>();

    public async Task InitializeAsync()
    {
        Location = await CreateLocationAsync();
        _node = await StoreNode.StartAsync(Backend, Location, MasterKey);
        await TestData.SeedAsync(_node);
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task Issue_Organization_SignsCreditCodeAndNameAndVerifies_ThroughVersionAndStatusChanges()
    {
        var issued = await _node.Manager.IssueAsync(DepartmentA, TestData.OrganizationRequest(), null, default);
        Assert.True(issued.Succeeded, issued.Error?.Detail);
        var payloadJson = Encoding.UTF8.GetString(Base64Url.Decode(issued.Value!.Signature["payload"]!.GetValue<string>()));
        Assert.Contains($"\"holder\":{{\"creditCode\":\"{TestData.Organization}\",\"name\":\"北京某某科技有限公司\"}}", payloadJson, StringComparison.Ordinal);
        Assert.DoesNotContain("idNumber", payloadJson, StringComparison.Ordinal);
        await AssertVerifiesAsync(issued.Value.Signature);

        var second = await _node.Manager.NewVersionAsync(DepartmentA, issued.Value.Payload.Id, new NewVersionCommand { Number = "Y-2" }, default);
        Assert.True(second.Succeeded, second.Error?.Detail);
        Assert.Equal(TestData.Organization, second.Value!.Payload.Holder.CreditCode);
        Assert.Null(second.Value.Payload.Holder.IdNumber);
        await AssertVerifiesAsync(second.Value.Signature);

        var suspended = await _node.Manager.ChangeStatusAsync(DepartmentA, second.Value.Payload.Id, StatusAction.Suspend, null, "年报未报", default);
        Assert.Equal(CertificateStatus.Suspended, suspended.Value!.Status);
        Assert.Equal(CertStoreErrorKind.Forbidden, (await _node.Manager.ChangeStatusAsync(DepartmentC, second.Value.Payload.Id, StatusAction.Revoke, null, "x", default)).Error?.Kind);

        var listed = await _node.Manager.ListByHolderAsync(Organization, null, default);
        Assert.Equal([issued.Value.Payload.Id, second.Value.Payload.Id], listed.Select(c => c.Payload.Id));
        Assert.Equal(CertificateStatus.Suspended, listed[1].Status);
        Assert.Empty(await _node.Manager.ListByHolderAsync(Citizen, null, default));
    }

    [Fact]
    public async Task IssueBatch_MixedKinds_EachItemAnsweredOnItsOwn()
    {
        var batch = await _node.Manager.IssueBatchAsync(DepartmentA,
            [TestData.OrganizationRequest(), TestData.Request(), TestData.OrganizationRequest(type: TestData.TypeA), TestData.OrganizationRequest()], null, default);

        var items = batch.Value!;
        Assert.Null(items[0].Error);
        Assert.Null(items[1].Error);
        Assert.Contains("holder.idNumber", items[2].Error!.Errors!.Keys);
        Assert.Null(items[3].Error);
        Assert.Equal(2, (await _node.Manager.ListByHolderAsync(Organization, null, default)).Count);
        Assert.Single(await _node.Manager.ListByHolderAsync(Citizen, null, default));
    }

    [Fact]
    public async Task Issue_CitizenOnOrganizationType_RejectedNamingHolderCreditCode_NothingStored()
    {
        var request = TestData.Request() with { Type = CertificateTypeCode.Parse(TestData.TypeOrg), Fields = new JsonObject { ["legalRepresentative"] = "张小三" } };

        var result = await _node.Manager.IssueAsync(DepartmentA, request, null, default);

        Assert.Equal(CertStoreErrorKind.Validation, result.Error?.Kind);
        Assert.Contains("organisations", result.Error!.Errors!["holder.creditCode"][0], StringComparison.Ordinal);
        Assert.Equal(0, await _node.Store.CountCertificatesAsync(default));
    }

    [Fact]
    public void HolderKeys_SameTextAsCitizenAndOrganization_NeverMeet()
    {
        // An 18-digit string can be both a valid identity number and a valid credit code: kind + code keep them apart.
        var digits = Enumerable.Range(0, 100_000).Select(i => "110105194912" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture))
            .Select(first17 => (first17, check: CreditCode.ComputeCheck(first17)))
            .First(x => char.IsAsciiDigit(x.check) && CitizenId.TryParse(x.first17 + x.check, out _, out _));
        var text = digits.first17 + digits.check;

        Assert.NotEqual(_node.Protector.HolderKey(CitizenId.Parse(text)), _node.Protector.HolderKey(CreditCode.Parse(text)));
    }

    [Fact]
    public async Task Lookup_ByCreditCode_ReturnsOnlyOrganizationCertificates_AndByIdNumberOnlyCitizens()
    {
        var org = (await _node.Manager.IssueAsync(DepartmentA, TestData.OrganizationRequest(), null, default)).Value!;
        var citizen = (await _node.Manager.IssueAsync(DepartmentA, TestData.Request(), null, default)).Value!;

        var byCode = await OneNumber.LookupAsync(DepartmentC, new LookupCommand(Organization, "企业开办", null), default);
        var byNumber = await OneNumber.LookupAsync(DepartmentC, new LookupCommand(Citizen, "婚姻登记", null), default);

        Assert.Equal([org.Payload.Id], byCode.Value!.Certificates.Select(c => c.Payload.Id));
        Assert.Equal([citizen.Payload.Id], byNumber.Value!.Certificates.Select(c => c.Payload.Id));
        var log = (await OneNumber.ListAccessLogAsync(Organization, 1, 10, default)).Value!;
        Assert.Equal([org.Payload.Id], Assert.Single(log.Items).CertificateIds);
        Assert.Equal("企业开办", log.Items[0].Purpose);
        Assert.Equal(1, (await OneNumber.ListAccessLogAsync(Citizen, 1, 10, default)).Value!.Total);
    }

    [Fact]
    public async Task Lookup_Organization_UseRightsApply_NoConsentNeeded()
    {
        await _node.Manager.IssueAsync(DepartmentA, TestData.OrganizationRequest(), null, default);
        await OneNumber.SetConsentRequiredAsync(Citizen, true, default);

        var byUser = await OneNumber.LookupAsync(DepartmentC, new LookupCommand(Organization, "企业开办", null), default);
        var byStranger = await OneNumber.LookupAsync(DepartmentB, new LookupCommand(Organization, "企业开办", null), default);

        Assert.Single(byUser.Value!.Certificates);
        Assert.Empty(byStranger.Value!.Certificates);
    }

    [Fact]
    public async Task Lookup_ServiceItemWithOrganizationMaterials_SatisfiedByCode_OtherKindReported()
    {
        var org = (await _node.Manager.IssueAsync(DepartmentA, TestData.OrganizationRequest(), null, default)).Value!;
        var saved = await OneNumber.SaveServiceItemAsync(new ServiceItemCommand("public-place-hygiene", "公共场所卫生许可",
            [new MaterialCommand(CertificateTypeCode.Parse(TestData.TypeOrg), true), new MaterialCommand(CertificateTypeCode.Parse(TestData.TypeA), false)],
            new GuideCommand("《公共场所卫生管理条例》", "卫生健康委员会", 20)), null, default);
        Assert.True(saved.Succeeded, saved.Error?.Detail);

        var result = (await OneNumber.LookupAsync(DepartmentC, new LookupCommand(Organization, "卫生许可", "public-place-hygiene"), default)).Value!;

        Assert.Equal(org.Payload.Id, Assert.Single(Assert.Single(result.Satisfied!).Certificates).Payload.Id);
        var missing = Assert.Single(result.Missing!);
        Assert.Equal((TestData.TypeA, "other-holder-kind"), (missing.TypeCode, missing.Reason));
    }

    [Fact]
    public async Task Representatives_LinkedCitizenActs_UnlinkedForbidden_EveryChangeAudited()
    {
        await _node.Manager.IssueAsync(DepartmentA, TestData.OrganizationRequest(), null, default);
        var code = CreditCode.Parse(TestData.Organization);
        Assert.Equal(CertStoreErrorKind.Forbidden, (await Representatives.AuthorizeAsync(Citizen, code, default)).Error?.Kind);

        Assert.Equal(CertStoreErrorKind.Forbidden, (await Representatives.LinkAsync(DepartmentC, Link(code), default)).Error?.Kind);
        var linked = await Representatives.LinkAsync(DepartmentA, Link(code), default);
        Assert.True(linked.Succeeded, linked.Error?.Detail);
        Assert.Equal("1101**********002X", linked.Value!.MaskedIdNumber);
        Assert.Equal("北京某某科技有限公司", linked.Value.OrganizationName);

        Assert.True((await Representatives.SwitchAsync(Citizen, code, "portal", default)).Succeeded);
        Assert.Equal(TestData.Organization, Assert.Single(await Representatives.OrganizationsOfAsync(Citizen, default)).CreditCode);
        Assert.True((await Representatives.UnlinkAsync(Admin, code, Citizen, default)).Succeeded);
        Assert.Equal(CertStoreErrorKind.Forbidden, (await Representatives.SwitchAsync(Citizen, code, "portal", default)).Error?.Kind);
        Assert.Equal(CertStoreErrorKind.NotFound, (await Representatives.UnlinkAsync(Admin, code, Citizen, default)).Error?.Kind);

        var view = (await Representatives.ListAsync(DepartmentA, code, default)).Value!;
        Assert.Empty(view.Representatives);
        Assert.Equal([RepresentativeActions.Unlink, RepresentativeActions.Switch, RepresentativeActions.Link], view.Audit.Select(a => a.Action));
        Assert.Equal(["admin", "portal", "client-a"], view.Audit.Select(a => a.ClientId));
        Assert.All(view.Audit, a => Assert.Equal(_node.Protector.HolderKey(Citizen), a.CitizenKey));
        Assert.Equal(CertStoreErrorKind.Forbidden, (await Representatives.ListAsync(DepartmentB, code, default)).Error?.Kind);
    }

    [Fact]
    public async Task Representatives_UnlinkOnOneNode_StopsOnTheOtherAtOnce()
    {
        await _node.Manager.IssueAsync(DepartmentA, TestData.OrganizationRequest(), null, default);
        var code = CreditCode.Parse(TestData.Organization);
        await using var other = await StoreNode.StartAsync(Backend, Location, MasterKey);
        var otherRepresentatives = other.Services.GetRequiredService<RepresentativeManager>();

        await Representatives.LinkAsync(Admin, Link(code), default);
        Assert.True((await otherRepresentatives.AuthorizeAsync(Citizen, code, default)).Succeeded);
        await Representatives.UnlinkAsync(DepartmentA, code, Citizen, default);

        Assert.Equal(CertStoreErrorKind.Forbidden, (await otherRepresentatives.AuthorizeAsync(Citizen, code, default)).Error?.Kind);
    }

    [Fact]
    public async Task Representatives_AuditRows_RefusedChangesByTheDatabase()
    {
        await _node.Manager.IssueAsync(DepartmentA, TestData.OrganizationRequest(), null, default);
        await Representatives.LinkAsync(Admin, Link(CreditCode.Parse(TestData.Organization)), default);

        await using var connection = await _node.Database.OpenConnectionAsync(default);
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => connection.ExecuteAsync("UPDATE representative_audit SET action = 'x'"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => connection.ExecuteAsync("DELETE FROM representative_audit"));
    }

    [Fact]
    public async Task Migration_CertificateIssuedBeforeHolderKinds_StillVerifiesWithTheSameBytes()
    {
        var issued = (await _node.Manager.IssueAsync(DepartmentA, TestData.Request(), null, default)).Value!;
        byte[] sealedBefore;
        await using (var connection = await _node.Database.OpenConnectionAsync(default))
        {
            // Back to the schema before V003: the row as the previous release wrote it.
            await connection.ExecuteAsync("ALTER TABLE certificates DROP COLUMN holder_kind");
            await connection.ExecuteAsync("DELETE FROM schema_migrations WHERE module = 'certstore' AND version = 3");
            sealedBefore = await connection.QuerySingleAsync<byte[]>("SELECT sealed_document FROM certificates WHERE id = @id", new { id = issued.Payload.Id });
        }

        await using var upgraded = await StoreNode.StartAsync(Backend, Location, MasterKey);
        await using (var connection = await upgraded.Database.OpenConnectionAsync(default))
        {
            Assert.Equal(sealedBefore, await connection.QuerySingleAsync<byte[]>("SELECT sealed_document FROM certificates WHERE id = @id", new { id = issued.Payload.Id }));
            Assert.Equal(HolderKinds.Citizen, await connection.QuerySingleAsync<string>("SELECT holder_kind FROM certificates WHERE id = @id", new { id = issued.Payload.Id }));
        }

        var read = Assert.Single(await upgraded.Manager.ListByHolderAsync(Citizen, null, default));
        Assert.Equal(issued.Signature.ToJsonString(), read.Signature.ToJsonString());
        await AssertVerifiesAsync(read.Signature, upgraded);
    }

    private static LinkRepresentativeCommand Link(CreditCode code) =>
        new(code, Citizen, RepresentativeRoles.LegalRepresentative, null);

    private async Task AssertVerifiesAsync(JsonObject signature, StoreNode? node = null)
    {
        node ??= _node;
        var keys = (await node.Keys.GetAllKeysAsync(default))
            .Select(k => new JwsVerificationKey(node.Suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo)).ToList();
        var verification = Jws.VerifyGeneral(signature, new StaticJwsKeyResolver(keys), ["ES256", "SM2"]);
        Assert.True(verification.IsValid, string.Join("; ", verification.Reasons));
    }
}

public sealed class SqliteOrganizationHolderTests : OrganizationHolderContract
{
    protected override string Backend => "sqlite";

    protected override Task<string> CreateLocationAsync() =>
        Task.FromResult(Path.Combine(Path.GetTempPath(), "certlib-tests", Guid.NewGuid().ToString("N"), "certlib.db"));
}

public sealed class PostgreSqlOrganizationHolderTests : OrganizationHolderContract
{
    protected override string Backend => "postgresql";

    protected override Task<string> CreateLocationAsync() => TestEnvironment.CreatePostgresDatabaseAsync();
}
