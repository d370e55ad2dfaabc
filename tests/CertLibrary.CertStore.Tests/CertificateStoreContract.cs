using System.Text.Json.Nodes;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identifiers;
using CertLibrary.Signing;
using CertLibrary.Testing;
using CertLibrary.TransparencyLog;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.CertStore.Tests;

/// <summary>The store contract, written once and run against every backend.</summary>
public abstract class CertificateStoreContract : IAsyncLifetime
{
    protected const string IssuerA = TestData.IssuerA;
    protected const string IssuerB = TestData.IssuerB;
    protected const string UserC = TestData.UserC;
    protected const string HolderNumber = TestData.HolderNumber;

    private StoreNode? _node;

    protected StoreNode Node => _node!;

    protected byte[] MasterKey { get; } = TestEnvironment.NewMasterKey();

    protected abstract string Backend { get; }

    protected abstract Task<string> CreateLocationAsync();

    protected string Location { get; private set; } = "";

    protected static Caller DepartmentA => new("client-a", IssuerA, false);

    protected static Caller DepartmentB => new("client-b", IssuerB, false);

    protected static Caller DepartmentC => new("client-c", UserC, false);

    public virtual async Task InitializeAsync()
    {
        Location = await CreateLocationAsync();
        _node = await StoreNode.StartAsync(Backend, Location, MasterKey);
        await TestData.SeedAsync(Node);
    }

    public virtual async Task DisposeAsync() => await Node.DisposeAsync();

    protected static IssueCommand Request(string idNumber = HolderNumber, string? number = null, JsonObject? fields = null) =>
        TestData.Request(idNumber, number, fields);

    [Fact]
    public async Task Issue_ValidRequest_SignedWithBothSuitesAndVerifiesAfterFreshRead()
    {
        var issued = await Node.Manager.IssueAsync(DepartmentA, Request(), null, default);
        Assert.True(issued.Succeeded, issued.Error?.Detail);

        await using var other = await StoreNode.StartAsync(Backend, Location, MasterKey);
        var read = await other.Manager.GetAsync(DepartmentA, issued.Value!.Payload.Id, default);

        Assert.True(read.Succeeded);
        Assert.Equal(CertificateStatus.Valid, read.Value!.Status);
        Assert.Equal(HolderNumber, read.Value.Payload.Holder.IdNumber);
        Assert.Equal(1, read.Value.Payload.Version);
        Assert.True(CertificateId.TryParse(read.Value.Payload.Id, out var id, out _));
        Assert.Equal(20, id.Serial.Length);
        var keys = (await other.Keys.GetAllKeysAsync(default))
            .Select(k => new JwsVerificationKey(other.Suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo)).ToList();
        var verification = Jws.VerifyGeneral(read.Value.Signature, new StaticJwsKeyResolver(keys), ["ES256", "SM2"]);
        Assert.True(verification.IsValid, string.Join("; ", verification.Reasons));
        Assert.Equal(2, verification.Signatures.Count);
    }

    [Fact]
    public async Task Issue_TamperedStoredSignature_FailsVerification()
    {
        var issued = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!;
        var signature = (JsonObject)issued.Signature.DeepClone();
        var payload = signature["payload"]!.GetValue<string>();
        signature["payload"] = payload[..10] + (payload[10] == 'A' ? 'B' : 'A') + payload[11..];
        var keys = (await Node.Keys.GetAllKeysAsync(default)).Select(k => new JwsVerificationKey(Node.Suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo));

        Assert.False(Jws.VerifyGeneral(signature, new StaticJwsKeyResolver(keys)).IsValid);
    }

    [Theory]
    [InlineData("unknown", "fields.colour")]
    [InlineData("missing", "fields.registeredOn")]
    [InlineData("wrongType", "fields.children")]
    [InlineData("badDate", "fields.registeredOn")]
    public async Task Issue_FieldsAgainstSchema_RejectedNamingFieldAndNothingStored(string kind, string field)
    {
        var fields = new JsonObject { ["spouseName"] = "李四", ["registeredOn"] = "2020-05-20" };
        switch (kind)
        {
            case "unknown": fields["colour"] = "red"; break;
            case "missing": fields.Remove("registeredOn"); break;
            case "wrongType": fields["children"] = "two"; break;
            default: fields["registeredOn"] = "2020-02-30"; break;
        }

        var result = await Node.Manager.IssueAsync(DepartmentA, Request(fields: fields), null, default);

        Assert.Equal(CertStoreErrorKind.Validation, result.Error?.Kind);
        Assert.Contains(field, result.Error!.Errors!.Keys);
        Assert.Equal(0, await Node.Store.CountCertificatesAsync(default));
    }

    [Theory]
    [InlineData("11010519491231002Y", "check")]
    [InlineData("110105199902290021", "date")]
    [InlineData("1101051949123100", "18")]
    public async Task Issue_MalformedIdentityNumber_ErrorSaysWhichRule(string idNumber, string hint)
    {
        var result = await Node.Manager.IssueAsync(DepartmentA, Request(idNumber), null, default);

        Assert.Equal(CertStoreErrorKind.Validation, result.Error?.Kind);
        Assert.Contains(hint, result.Error!.Errors!["holder.idNumber"][0], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Issue_DepartmentNotAllowedForType_Forbidden()
    {
        var result = await Node.Manager.IssueAsync(DepartmentB, Request(), null, default);

        Assert.Equal(CertStoreErrorKind.Forbidden, result.Error?.Kind);
    }

    [Fact]
    public async Task Get_DepartmentWithoutUseRight_NotFound_UserDepartmentSeesIt()
    {
        var id = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!.Payload.Id;

        Assert.Equal(CertStoreErrorKind.NotFound, (await Node.Manager.GetAsync(DepartmentB, id, default)).Error?.Kind);
        Assert.True((await Node.Manager.GetAsync(DepartmentC, id, default)).Succeeded);
    }

    [Fact]
    public async Task ChangeStatus_ByUsingDepartment_Forbidden_ByStranger_NotFound()
    {
        var id = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!.Payload.Id;

        Assert.Equal(CertStoreErrorKind.Forbidden, (await Node.Manager.ChangeStatusAsync(DepartmentC, id, StatusAction.Revoke, null, "x", default)).Error?.Kind);
        Assert.Equal(CertStoreErrorKind.NotFound, (await Node.Manager.ChangeStatusAsync(DepartmentB, id, StatusAction.Revoke, null, "x", default)).Error?.Kind);
        Assert.Equal(CertificateStatus.Valid, (await Node.Manager.GetAsync(DepartmentA, id, default)).Value!.Status);
    }

    [Fact]
    public async Task StatusChanges_FollowRules_AndEachIsLogged()
    {
        var id = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!.Payload.Id;

        Assert.Equal(CertificateStatus.Suspended, (await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Suspend, null, "调查中", default)).Value!.Status);
        Assert.Equal(CertificateStatus.Valid, (await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Reinstate, null, "调查结束", default)).Value!.Status);
        Assert.Equal(CertStoreErrorKind.Conflict, (await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Reinstate, null, "again", default)).Error?.Kind);
        var revoked = await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Revoke, StatusReasonCodes.KeyCompromise, "证件遗失", default);
        Assert.Equal(CertificateStatus.Revoked, revoked.Value!.Status);
        Assert.Equal(StatusReasonCodes.KeyCompromise, revoked.Value.StatusReasonCode);
        Assert.Equal("证件遗失", revoked.Value.StatusReason);
        Assert.True((await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Revoke, StatusReasonCodes.KeyCompromise, "另一说明", default)).Succeeded);
        Assert.Equal(CertStoreErrorKind.Conflict, (await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Revoke, null, "another reason", default)).Error?.Kind);
        Assert.Equal(CertStoreErrorKind.Conflict, (await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Reinstate, null, "undo", default)).Error?.Kind);
        Assert.Equal("证件遗失", (await Node.Manager.GetAsync(DepartmentA, id, default)).Value!.StatusReason);

        var log = await ReadLogAsync();
        Assert.Equal(["issue", "suspend", "reinstate", "revoke"], log.Where(e => e.CertificateId == id).Select(e => e.EventType));
        Assert.Equal([null, "other", "other", "keyCompromise"], log.Where(e => e.CertificateId == id).Select(e => e.ReasonCode));
        Assert.Equal(["key-added", "key-added"], log.Where(e => e.CertificateId is null).Select(e => e.EventType));
        Assert.All(log.Where(e => e.Kid is not null), e => Assert.Equal(IssuerA, e.DepartmentCode));
    }

    [Fact]
    public async Task NewVersion_IncrementsVersionKeepsSerial_AndRevokesOld()
    {
        var first = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!;

        var second = await Node.Manager.NewVersionAsync(DepartmentA, first.Payload.Id, new NewVersionCommand { Number = "J-2" }, default);

        Assert.True(second.Succeeded, second.Error?.Detail);
        var oldId = CertificateId.Parse(first.Payload.Id);
        var newId = CertificateId.Parse(second.Value!.Payload.Id);
        Assert.Equal(oldId.Serial, newId.Serial);
        Assert.Equal(2, newId.Version);
        Assert.Equal(first.Payload.Id, second.Value.Payload.Supersedes);
        var old = (await Node.Manager.GetAsync(DepartmentA, first.Payload.Id, default)).Value!;
        Assert.Equal(CertificateStatus.Revoked, old.Status);
        Assert.Equal(newId.ToString(), old.SupersededBy);
        Assert.Equal(CertStoreErrorKind.Conflict, (await Node.Manager.NewVersionAsync(DepartmentA, first.Payload.Id, new NewVersionCommand(), default)).Error?.Kind);
    }

    [Fact]
    public async Task IssueBatch_RetriedWithSameIdempotencyKey_CreatesNothingNew()
    {
        var requests = Enumerable.Range(0, 25).Select(i => Request(number: $"B-{i}")).Append(Request("123")).ToList();

        var first = await Node.Manager.IssueBatchAsync(DepartmentA, requests, "batch-key-1", default);
        var count = await Node.Store.CountCertificatesAsync(default);
        var second = await Node.Manager.IssueBatchAsync(DepartmentA, requests, "batch-key-1", default);

        Assert.Equal(25, count);
        Assert.Equal(count, await Node.Store.CountCertificatesAsync(default));
        Assert.Equal(first.Value!.Select(r => r.Certificate?.Payload.Id), second.Value!.Select(r => r.Certificate?.Payload.Id));
        Assert.Equal(CertStoreErrorKind.Validation, second.Value![25].Error?.Kind);
        var reused = await Node.Manager.IssueBatchAsync(DepartmentA, requests.Take(3).ToList(), "batch-key-1", default);
        Assert.Equal("idempotency-key-reused", reused.Error?.Code);
    }

    [Fact]
    public async Task IssueBatch_WithOneInvalidItem_WritesTheOthersInRequestOrderWithConsecutiveLogIndexes()
    {
        await Node.Manager.IssueAsync(DepartmentA, Request(number: "before"), null, default); // the batch starts mid-subtree
        var requests = Enumerable.Range(0, 40).Select(i => Request(number: $"L-{i}")).ToList();
        requests[17] = Request("123", number: "L-17");

        var result = await Node.Manager.IssueBatchAsync(DepartmentA, requests, null, default);

        Assert.True(result.Succeeded, result.Error?.Detail);
        var items = result.Value!;
        Assert.Equal(Enumerable.Range(0, 40), items.Select(i => i.Index));
        Assert.Equal(CertStoreErrorKind.Validation, items[17].Error?.Kind);
        Assert.Null(items[17].Certificate);
        var created = items.Where(i => i.Index != 17).Select(i => i.Certificate!).ToList();
        Assert.Equal(requests.Where((_, i) => i != 17).Select(r => r.Number), created.Select(c => c.Payload.Number));
        var first = created[0].Payload.LogIndex;
        Assert.Equal(Enumerable.Range(0, 39).Select(k => first + k), created.Select(c => c.Payload.LogIndex));
        Assert.Equal(39, created.Select(c => c.Payload.StatusList).Distinct().Count());
        Assert.Equal(40, await Node.Store.CountCertificatesAsync(default));

        var entries = await ReadLogAsync();
        Assert.Equal(first + 39, entries.Count);
        var keys = (await Node.Keys.GetAllKeysAsync(default))
            .Select(k => new JwsVerificationKey(Node.Suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo)).ToList();
        foreach (var certificate in created)
        {
            var read = await Node.Manager.GetAsync(DepartmentA, certificate.Payload.Id, default);
            Assert.Equal(certificate.Payload.StatusList, read.Value!.Payload.StatusList);
            var payloadBytes = System.Buffers.Text.Base64Url.DecodeFromChars(read.Value.Signature["payload"]!.GetValue<string>());
            var entry = entries[(int)certificate.Payload.LogIndex];
            Assert.Equal(("issue", certificate.Payload.Id), (entry.EventType, entry.CertificateId));
            Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(payloadBytes)), entry.PayloadHash);
            var verification = Jws.VerifyGeneral(read.Value.Signature, new StaticJwsKeyResolver(keys), ["ES256", "SM2"]);
            Assert.True(verification.IsValid, string.Join("; ", verification.Reasons));
        }

        await using var connection = await Node.Database.OpenConnectionAsync(default);
        Assert.Equal(40L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM status_list_slots"));
        var reference = new InMemoryMerkleNodeStore();
        foreach (var leaf in await connection.QueryAsync<byte[]>("SELECT leaf_input FROM log_entries ORDER BY idx"))
        {
            reference.Append(leaf);
        }

        var nodes = (await connection.QueryAsync<(long Level, long Index, byte[] Hash)>("SELECT level, idx, hash FROM log_nodes")).ToList();
        Assert.Equal(2 * entries.Count - long.PopCount(entries.Count), nodes.Count); // every complete subtree, once
        foreach (var (level, index, hash) in nodes)
        {
            Assert.Equal(await reference.GetNodeAsync((int)level, index, default), hash);
        }
    }

    [Fact]
    public async Task IssueBatch_ReachingHalfOfTheStatusList_FillsItThenOpensTheNext()
    {
        await Node.Manager.IssueAsync(DepartmentA, Request(number: "opens-list-1"), null, default);
        await using (var connection = await Node.Database.OpenConnectionAsync(default))
        {
            await connection.ExecuteAsync("UPDATE status_lists SET allocated = capacity / 2 - 5");
        }

        var result = await Node.Manager.IssueBatchAsync(DepartmentA, [.. Enumerable.Range(0, 12).Select(i => Request(number: $"S-{i}"))], null, default);

        Assert.True(result.Succeeded, result.Error?.Detail);
        Assert.Equal([.. Enumerable.Repeat("1", 5), .. Enumerable.Repeat("2", 7)], result.Value!.Select(i => i.Certificate!.Payload.StatusList.ListId));
        await using var check = await Node.Database.OpenConnectionAsync(default);
        Assert.Equal([65_536L, 7L], await check.QueryAsync<long>("SELECT allocated FROM status_lists ORDER BY list_id"));
        Assert.Equal(7L, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM status_list_slots WHERE list_id = '2'"));
    }

    [Fact]
    public async Task ParallelWriters_KeepOneTotalLogOrder_AndRootMatchesEntries()
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, 24), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, ct) =>
        {
            var result = await Node.Manager.IssueAsync(DepartmentA, Request(number: $"P-{i}"), null, ct);
            Assert.True(result.Succeeded, result.Error?.Detail);
        });

        var entries = await ReadLogAsync();
        Assert.Equal(24, entries.Count(e => e.EventType == "issue"));
        var certificates = await Node.Manager.ListByHolderAsync(CitizenId.Parse(HolderNumber), reader: null, default);
        Assert.All(certificates, c => Assert.Equal(c.Payload.Id, entries[(int)c.Payload.LogIndex].CertificateId));
        Assert.Equal(24, certificates.Select(c => c.Payload.LogIndex).Distinct().Count());

        var reference = new InMemoryMerkleNodeStore();
        await using var connection = await Node.Database.OpenConnectionAsync(default);
        foreach (var leaf in await connection.QueryAsync<byte[]>("SELECT leaf_input FROM log_entries ORDER BY idx"))
        {
            reference.Append(leaf);
        }

        var stored = await connection.QuerySingleAsync<byte[]>("SELECT hash FROM log_nodes WHERE level = 3 AND idx = 2");
        Assert.Equal(await reference.GetNodeAsync(3, 2, default), stored);
    }

    [Fact]
    public async Task Holder_IsIndexedByKeyedHash_NumberNeverInClear()
    {
        await Node.Manager.IssueAsync(DepartmentA, Request(), null, default);
        await using var connection = await Node.Database.OpenConnectionAsync(default);

        var holderKey = await connection.QuerySingleAsync<string>("SELECT holder_key FROM certificates");

        Assert.Equal(Node.Protector.HolderKey(CitizenId.Parse(HolderNumber)), holderKey);
        Assert.DoesNotContain("19491231", holderKey, StringComparison.Ordinal);
        Assert.DoesNotContain(HolderNumber, await DumpAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangeStatus_FreeTextWithIdentityNumber_LogAndOtherDepartmentsGetOnlyTheCode_TextSealed()
    {
        const string Number = "110101198001010053";
        const string Text = "持证人" + Number + "申请暂停";
        var id = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!.Payload.Id;

        var suspended = await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Suspend, StatusReasonCodes.HolderRequest, Text, default);

        Assert.True(suspended.Succeeded, suspended.Error?.Detail);
        Assert.Equal(Text, suspended.Value!.StatusReason);
        var entry = (await ReadLogAsync()).Last();
        Assert.Equal((LogEventTypes.Suspend, 2, StatusReasonCodes.HolderRequest, (string?)null), (entry.EventType, entry.Version, entry.ReasonCode, entry.Reason));
        await using var other = await StoreNode.StartAsync(Backend, Location, MasterKey);
        var admin = new Caller("admin", null, true);
        foreach (var (caller, sees) in new[] { (DepartmentA, true), (admin, true), (DepartmentC, false) })
        {
            var read = (await other.Manager.GetAsync(caller, id, default)).Value!;
            Assert.Equal(StatusReasonCodes.HolderRequest, read.StatusReasonCode);
            Assert.Equal(sees ? Text : null, read.StatusReason);
        }

        Assert.Equal(Text, (await other.Manager.ListByHolderAsync(CitizenId.Parse(HolderNumber), reader: null, default)).Single().StatusReason);
        Assert.Null((await other.Manager.ListByHolderAsync(CitizenId.Parse(HolderNumber), DepartmentC, default)).Single().StatusReason);
        Assert.DoesNotContain(Number, await DumpAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lost")]
    [InlineData("HolderRequest")]
    [InlineData("superseded")]
    [InlineData(null)]
    public async Task ChangeStatus_UnknownReservedOrMissingCode_ValidationNamingReasonCode_NothingChanged(string? code)
    {
        var id = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!.Payload.Id;
        var logSize = (await ReadLogAsync()).Count;

        var result = await Node.Manager.ChangeStatusAsync(DepartmentA, id, StatusAction.Revoke, code, code is null ? "  " : "证件遗失", default);

        Assert.Equal(CertStoreErrorKind.Validation, result.Error?.Kind);
        Assert.Equal(["reasonCode"], result.Error!.Errors!.Keys);
        Assert.Equal(CertificateStatus.Valid, (await Node.Manager.GetAsync(DepartmentA, id, default)).Value!.Status);
        Assert.Equal(logSize, (await ReadLogAsync()).Count);
    }

    [Fact]
    public async Task LegacyClearTextReasons_ReadAsOtherOrSuperseded_SealedAtStartUp()
    {
        var first = (await Node.Manager.IssueAsync(DepartmentA, Request(), null, default)).Value!.Payload.Id;
        var second = (await Node.Manager.NewVersionAsync(DepartmentA, first, new NewVersionCommand { Number = "J-2" }, default)).Value!.Payload.Id;
        Assert.True((await Node.Manager.ChangeStatusAsync(DepartmentA, second, StatusAction.Suspend, StatusReasonCodes.DataChanged, null, default)).Succeeded);
        await using (var connection = await Node.Database.OpenConnectionAsync(default))
        {
            // Rows as a release before reason codes left them: the text in clear, no code, nothing sealed.
            await connection.ExecuteAsync(
                "UPDATE certificates SET status_reason = CASE WHEN id = @first THEN @superseded ELSE '旧说明：核查中' END, " +
                "status_reason_code = NULL, status_reason_sealed = NULL",
                new { first, superseded = "superseded by " + second });
        }

        await using var other = await StoreNode.StartAsync(Backend, Location, MasterKey);
        var before = (await other.Manager.GetAsync(DepartmentA, second, default)).Value!;
        var sealedRows = await other.Services.GetRequiredService<LegacyStatusReasonSealer>().SealAsync(default);
        await using var fresh = await StoreNode.StartAsync(Backend, Location, MasterKey);
        var after = (await fresh.Manager.GetAsync(DepartmentA, second, default)).Value!;

        Assert.Equal(("other", "旧说明：核查中"), (before.StatusReasonCode, before.StatusReason));
        Assert.Equal(2, sealedRows);
        Assert.Equal(("other", "旧说明：核查中"), (after.StatusReasonCode, after.StatusReason));
        Assert.Null((await fresh.Manager.GetAsync(DepartmentC, second, default)).Value!.StatusReason);
        Assert.Equal(StatusReasonCodes.Superseded, (await fresh.Manager.GetAsync(DepartmentA, first, default)).Value!.StatusReasonCode);
        await using var check = await Node.Database.OpenConnectionAsync(default);
        var rows = (await check.QueryAsync<(string Id, string? Clear, string? Code)>("SELECT id, status_reason, status_reason_code FROM certificates")).ToList();
        Assert.All(rows, r => Assert.Null(r.Clear));
        Assert.Equal([(first, "superseded"), (second, "other")], rows.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => (r.Id, r.Code!)));
        Assert.Equal(0, await fresh.Services.GetRequiredService<LegacyStatusReasonSealer>().SealAsync(default));
    }

    /// <summary>A full dump of the database as text (SQLite file bytes, or pg_dump output).</summary>
    protected abstract Task<string> DumpAsync();

    private async Task<List<LogEntry>> ReadLogAsync()
    {
        await using var connection = await Node.Database.OpenConnectionAsync(default);
        return [.. (await connection.QueryAsync<byte[]>("SELECT leaf_input FROM log_entries ORDER BY idx")).Select(LogEntry.FromLeafInput)];
    }
}
