extern alias auditor;

using System.Net;
using System.Text;
using System.Text.Json;
using auditor::CertLibrary.Auditor;
using CertLibrary.Signing;
using CertLibrary.TransparencyLog;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

public sealed class TransparencyLogApiTests : IAsyncLifetime
{
    private const string IdNumber = "11010519491231002X";

    /// <summary>Key-added entries before the first certificate: platform ES256 + SM2 at start-up, the issuer's ES256 + SM2 at its first issue.</summary>
    private const int KeyEvents = 4;
    private const string HolderName = "张小三";

    private readonly ApiFactory _factory = new();

    public async Task InitializeAsync()
    {
        _ = _factory.Server;
        await _factory.SeedAsync();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task InclusionProofs_EveryIssuedAndChangedCertificate_VerifyAgainstSignedTreeHead()
    {
        var http = await IssuerAsync();
        var issued = await IssueManyAsync(http, 5);
        await ChangeStatusesAsync(http, issued);

        var head = await TreeHeadAsync(http);

        Assert.Equal(KeyEvents + 9, head.TreeSize); // 5 issues, suspend, reinstate, revoke, new version (supersede)
        Assert.True(head.TryGetRootHash(out var root));
        foreach (var (_, logIndex, payloadHash) in issued)
        {
            var proof = await GetJsonAsync(http, $"/api/v1/log/proof/inclusion?index={logIndex}&treeSize={head.TreeSize}");
            Assert.Equal(logIndex, proof.GetProperty("leafIndex").GetInt64());
            Assert.Equal(head.TreeSize, proof.GetProperty("treeSize").GetInt64());
            var entry = (await EntriesAsync(http, logIndex, logIndex + 1))[0];
            var leafInput = Convert.FromBase64String(entry.GetProperty("leafInput").GetString()!);
            Assert.Equal(payloadHash, entry.GetProperty("entry").GetProperty("payloadHash").GetString());
            Assert.True(MerkleVerifier.VerifyInclusion(MerkleHash.Leaf(leafInput), logIndex, head.TreeSize, Hashes(proof.GetProperty("auditPath")), root));
        }

        var all = await EntriesAsync(http, 0, head.TreeSize);
        Assert.Equal(
            ["key-added", "key-added", "key-added", "key-added", "issue", "issue", "issue", "issue", "issue", "suspend", "reinstate", "revoke", "supersede"],
            all.Select(e => e.GetProperty("entry").GetProperty("eventType").GetString()!));
    }

    [Fact]
    public async Task ConsistencyProof_BetweenHeadsBeforeAndAfterMoreIssues_Verifies()
    {
        var http = await IssuerAsync();
        await IssueManyAsync(http, 3);
        var before = await TreeHeadAsync(http);
        await IssueManyAsync(http, 4);
        var after = await TreeHeadAsync(http);

        var proof = await GetJsonAsync(http, $"/api/v1/log/proof/consistency?first={before.TreeSize}&second={after.TreeSize}");

        Assert.Equal(KeyEvents + 3, before.TreeSize);
        Assert.Equal(KeyEvents + 7, after.TreeSize);
        Assert.Equal(before.TreeSize, proof.GetProperty("first").GetInt64());
        Assert.Equal(after.TreeSize, proof.GetProperty("second").GetInt64());
        Assert.True(before.TryGetRootHash(out var oldRoot));
        Assert.True(after.TryGetRootHash(out var newRoot));
        var path = Hashes(proof.GetProperty("consistency"));
        Assert.True(MerkleVerifier.VerifyConsistency(before.TreeSize, after.TreeSize, oldRoot, newRoot, path));
        Assert.False(MerkleVerifier.VerifyConsistency(before.TreeSize, after.TreeSize, newRoot, newRoot, path));
    }

    [Fact]
    public async Task TreeHead_Signature_VerifiesWithBothPlatformKeysOverRfc6962Bytes()
    {
        var http = await IssuerAsync();
        await IssueManyAsync(http, 2);

        var head = await TreeHeadAsync(http);
        var again = await TreeHeadAsync(http);

        Assert.Equal(head, again); // signed once per size, cached
        var keys = await _factory.Services.GetRequiredService<KeyManager>().GetAllKeysAsync(default);
        var suites = _factory.Services.GetRequiredService<SignatureSuites>();
        var resolver = new StaticJwsKeyResolver(keys.Where(k => k.OwnerCode == SigningKeyRecord.PlatformOwner)
            .Select(k => new JwsVerificationKey(suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo)));
        var result = Jws.VerifyGeneral(head.Signature, resolver, suites.All.Select(s => s.Algorithm));
        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal(2, result.Signatures.Count(s => s.IsValid));
        Assert.Equal(head.ToSigningInput(), result.Payload);
        Assert.All(result.Signatures, s => Assert.Equal(TransparencyLogServiceType, s.Type));
        var forged = head with { TreeSize = head.TreeSize + 1 };
        Assert.NotEqual(forged.ToSigningInput(), result.Payload);
    }

    [Fact]
    public async Task Entries_CarryNoPersonalData()
    {
        var http = await IssuerAsync();
        var issued = await IssueManyAsync(http, 2);
        await ChangeStatusesAsync(http, issued);

        using var response = await http.GetAsync(new Uri("/api/v1/log/entries?start=0&end=100", UriKind.Relative));
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = JsonDocument.Parse(raw).RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(KeyEvents + 6, entries.Count);
        var decoded = string.Concat(entries.Select(e => Encoding.UTF8.GetString(Convert.FromBase64String(e.GetProperty("leafInput").GetString()!))));
        foreach (var text in new[] { raw, decoded, string.Concat(entries.Select(e => e.GetProperty("entry").ToString())) })
        {
            Assert.DoesNotContain(IdNumber, text, StringComparison.Ordinal);
            Assert.DoesNotContain(HolderName, text, StringComparison.Ordinal);
            Assert.DoesNotContain("李四", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/api/v1/log/proof/inclusion?index=0", "treeSize")]
    [InlineData("/api/v1/log/proof/inclusion?index=-1&treeSize=2", "index")]
    [InlineData("/api/v1/log/proof/inclusion?index=abc&treeSize=2", "index")]
    [InlineData("/api/v1/log/proof/inclusion?index=2&treeSize=2", "index")]
    [InlineData("/api/v1/log/proof/inclusion?index=0&treeSize=7", "treeSize")]
    [InlineData("/api/v1/log/proof/inclusion?index=0&treeSize=99999999999999999999", "treeSize")]
    [InlineData("/api/v1/log/proof/consistency?first=2&second=1", "first")]
    [InlineData("/api/v1/log/proof/consistency?first=1&second=7", "second")]
    [InlineData("/api/v1/log/proof/consistency?second=1", "first")]
    [InlineData("/api/v1/log/entries?start=0", "end")]
    [InlineData("/api/v1/log/entries?start=1&end=1", "end")]
    [InlineData("/api/v1/log/entries?start=6&end=9", "start")]
    [InlineData("/api/v1/log/entries?start=0x1&end=5", "start")]
    public async Task BadParameters_400ProblemNamingParameter(string url, string field)
    {
        var http = await IssuerAsync();
        await IssueManyAsync(http, 2);
        var anonymous = _factory.CreateClient();

        using var response = await anonymous.GetAsync(new Uri(url, UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await ApiFactory.JsonAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Log_IsPublic_AndStartsWithThePlatformKeyEvents()
    {
        var anonymous = _factory.CreateClient();

        var head = await TreeHeadAsync(anonymous);
        var entries = await GetJsonAsync(anonymous, "/api/v1/log/entries?start=0&end=10");

        Assert.Equal(2, head.TreeSize);
        Assert.All(entries.GetProperty("entries").EnumerateArray(), e =>
        {
            Assert.Equal("key-added", e.GetProperty("entry").GetProperty("eventType").GetString());
            Assert.Equal("platform", e.GetProperty("entry").GetProperty("departmentCode").GetString());
        });
    }

    [Fact]
    public async Task Auditor_HonestLog_ConsistentAcrossRuns()
    {
        var http = await IssuerAsync();
        var auditorHttp = AuditorClient();
        await IssueManyAsync(http, 3);

        var first = await new LogAuditor(auditorHttp, VerifyHead).AuditAsync(null, default);
        var issued = await IssueManyAsync(http, 4);
        await ChangeStatusesAsync(http, issued);
        var second = await new LogAuditor(auditorHttp, VerifyHead) { PageSize = 2 }.AuditAsync(first.NewHead, default);

        Assert.Equal(AuditOutcome.Consistent, first.Outcome);
        Assert.Equal(AuditOutcome.Consistent, second.Outcome);
        Assert.Empty(second.Problems);
        Assert.Equal(KeyEvents + 3, first.NewHead!.TreeSize);
        Assert.Equal(KeyEvents + 11, second.NewHead!.TreeSize);
    }

    [Fact]
    public async Task Auditor_Version1EntriesFromBeforeReasonCodesBesideVersion2_ConsistentAndProofsVerify()
    {
        var http = await IssuerAsync();
        var issued = await IssueManyAsync(http, 2);
        var store = _factory.Services.GetRequiredService<CertLibrary.CertStore.Stores.ICertificateStore>();
        long legacyIndex;
        await using (var tx = await store.BeginWriteAsync(default))
        {
            // An entry as a release before reason codes wrote it: version 1, free text in "reason".
            var legacy = new LogEntry(LogEventTypes.Suspend, issued[0].Id, null, issued[0].PayloadHash, ApiFactory.CivilAffairs, DateTimeOffset.UtcNow, null)
            {
                Version = 1,
                Reason = "核查中",
            };
            legacyIndex = await tx.AppendLogAsync(legacy.ToLeafInput(), DateTimeOffset.UtcNow, default);
            await tx.CommitAsync(default);
        }

        var auditorHttp = AuditorClient();
        var first = await new LogAuditor(auditorHttp, VerifyHead).AuditAsync(null, default);
        await ChangeStatusesAsync(http, issued);
        var second = await new LogAuditor(auditorHttp, VerifyHead) { PageSize = 3 }.AuditAsync(first.NewHead, default);
        var head = await TreeHeadAsync(http);
        var entries = await EntriesAsync(http, 0, head.TreeSize);

        Assert.Equal((AuditOutcome.Consistent, AuditOutcome.Consistent), (first.Outcome, second.Outcome));
        Assert.Empty(second.Problems);
        Assert.Equal("核查中", entries[(int)legacyIndex].GetProperty("entry").GetProperty("reason").GetString());
        Assert.False(entries[(int)legacyIndex].GetProperty("entry").TryGetProperty("v", out _));
        Assert.Equal(1, entries.Count(e => !e.GetProperty("entry").TryGetProperty("v", out _)));
        Assert.All(entries.Skip((int)legacyIndex + 1), e => Assert.Equal(2, e.GetProperty("entry").GetProperty("v").GetInt32()));
        Assert.True(head.TryGetRootHash(out var root));
        foreach (var index in new[] { legacyIndex, legacyIndex + 1, head.TreeSize - 1 })
        {
            var proof = await GetJsonAsync(http, $"/api/v1/log/proof/inclusion?index={index}&treeSize={head.TreeSize}");
            var leafInput = Convert.FromBase64String(entries[(int)index].GetProperty("leafInput").GetString()!);
            Assert.Equal(leafInput, LogEntry.FromLeafInput(leafInput).ToLeafInput());
            Assert.True(MerkleVerifier.VerifyInclusion(MerkleHash.Leaf(leafInput), index, head.TreeSize, Hashes(proof.GetProperty("auditPath")), root));
        }
    }

    [Fact]
    public async Task Database_UpdateOfLogEntry_RefusedByAppendOnlyTrigger()
    {
        var http = await IssuerAsync();
        await IssueManyAsync(http, 2);

        await using var connection = await OpenDatabaseAsync();
        var error = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, "UPDATE log_entries SET created_at = created_at WHERE idx = 0"));
        var deleteError = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, "DELETE FROM log_entries WHERE idx = 1"));

        Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", deleteError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auditor_LeafRewrittenInDatabase_ReportsRewriteOfThatEntry()
    {
        var http = await IssuerAsync();
        var issued = await IssueManyAsync(http, 5);
        var auditorHttp = AuditorClient();
        var honest = await new LogAuditor(auditorHttp, VerifyHead).AuditAsync(null, default);
        Assert.Equal(AuditOutcome.Consistent, honest.Outcome);

        // An insider with database access drops the trigger and back-dates entry 2 to a revocation-free story.
        var victim = issued[2].LogIndex;
        var original = LogEntry.FromLeafInput(Convert.FromBase64String((await EntriesAsync(http, victim, victim + 1))[0].GetProperty("leafInput").GetString()!));
        var forged = original with { Time = original.Time.AddYears(-1) };
        await using (var connection = await OpenDatabaseAsync())
        {
            await ExecuteAsync(connection, "DROP TRIGGER log_entries_no_update");
            await ExecuteAsync(connection, "UPDATE log_entries SET leaf_input = @leaf WHERE idx = @idx", ("leaf", forged.ToLeafInput()), ("idx", victim));
        }

        var report = await new LogAuditor(auditorHttp, VerifyHead).AuditAsync(honest.NewHead, default);

        Assert.True(report.Outcome is AuditOutcome.Rewrite or AuditOutcome.Fork, report.Outcome.ToString());
        Assert.Equal([victim], report.RewrittenIndexes);
        Assert.Contains(report.Problems, p => p.Contains("Rewrite", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Auditor_LeafAndNodesRewrittenInDatabase_ReportsFork()
    {
        var http = await IssuerAsync();
        await IssueManyAsync(http, 4);
        var auditorHttp = AuditorClient();
        var honest = await new LogAuditor(auditorHttp, VerifyHead).AuditAsync(null, default);

        // A thorough insider rewrites entry 0 and recomputes every stored node; the log then grows over the forged tree.
        var entry = LogEntry.FromLeafInput(Convert.FromBase64String((await EntriesAsync(http, 0, 1))[0].GetProperty("leafInput").GetString()!));
        var forged = (entry with { ReasonCode = "forged" }).ToLeafInput();
        var store = new InMemoryMerkleNodeStore();
        store.Append(forged);
        var size = honest.NewHead!.TreeSize;
        foreach (var other in (await EntriesAsync(http, 1, size)).Select(e => Convert.FromBase64String(e.GetProperty("leafInput").GetString()!)))
        {
            store.Append(other);
        }

        await using (var connection = await OpenDatabaseAsync())
        {
            await ExecuteAsync(connection, "DROP TRIGGER log_entries_no_update");
            await ExecuteAsync(connection, "UPDATE log_entries SET leaf_input = @leaf WHERE idx = 0", ("leaf", forged));
            // Every stored node whose subtree contains leaf 0: (level, 0) for each complete subtree.
            for (var level = 0; (1L << level) <= size; level++)
            {
                var index = 0L;
                await ExecuteAsync(connection, "UPDATE log_nodes SET hash = @hash WHERE level = @level AND idx = @idx",
                    ("hash", await store.GetNodeAsync(level, index, default)), ("level", level), ("idx", index));
            }
        }

        await IssueManyAsync(http, 1);
        var report = await new LogAuditor(auditorHttp, VerifyHead).AuditAsync(honest.NewHead, default);

        Assert.Equal(AuditOutcome.Fork, report.Outcome);
        Assert.Contains(report.Problems, p => p.Contains("Fork", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Read_SealedDocumentEditedInDatabase_FailsClosedWithProblemNotData()
    {
        var http = await IssuerAsync();
        var id = (await IssueManyAsync(http, 1))[0].Id;

        await using (var connection = await OpenDatabaseAsync())
        {
            // Flip one byte of the AES-GCM sealed document (payload + signatures); the tag no longer matches.
            await using var read = connection.CreateCommand();
            read.CommandText = "SELECT sealed_document FROM certificates WHERE id = $id";
            read.Parameters.AddWithValue("$id", id);
            var sealedDocument = (byte[])(await read.ExecuteScalarAsync())!;
            sealedDocument[40] ^= 0x01;
            await ExecuteAsync(connection, "UPDATE certificates SET sealed_document = @doc WHERE id = @id", ("doc", sealedDocument), ("id", id));
        }

        using var response = await http.GetAsync(new Uri($"/api/v1/certificates/{id}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        // Decision: the store never serves a document whose seal does not open; the request fails closed as a
        // Problem Details 500 of type integrity, without the certificate, its holder or any stack trace.
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("urn:certlib:problem:integrity", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
        Assert.DoesNotContain(id, body, StringComparison.Ordinal);
        Assert.DoesNotContain(IdNumber, body, StringComparison.Ordinal);
        Assert.DoesNotContain("signature", body, StringComparison.Ordinal);
    }

    private const string TransparencyLogServiceType = CertLibrary.CertStore.Transparency.TransparencyLogService.SignatureType;

    private Task<HttpClient> IssuerAsync() => _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");

    private HttpClient AuditorClient() =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://localhost/api/v1/log/") });

    private bool VerifyHead(SignedTreeHead head)
    {
        var result = Jws.VerifyGeneral(head.Signature, _factory.PlatformKeys(), ["ES256", "SM2"]);
        return result.IsValid && result.Payload is { } payload && payload.AsSpan().SequenceEqual(head.ToSigningInput());
    }

    private static async Task<List<(string Id, long LogIndex, string PayloadHash)>> IssueManyAsync(HttpClient http, int count)
    {
        var issued = new List<(string, long, string)>();
        for (var i = 0; i < count; i++)
        {
            using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", ApiFactory.MarriageRequest(IdNumber));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await ApiFactory.JsonAsync(response);
            var payload = System.Buffers.Text.Base64Url.DecodeFromChars(body.GetProperty("signature").GetProperty("payload").GetString());
            issued.Add((body.GetProperty("id").GetString()!, body.GetProperty("logIndex").GetInt64(),
                Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(payload))));
        }

        return issued;
    }

    // Suspend, reinstate and revoke the first certificate and issue a new version of the second: four entries.
    private static async Task ChangeStatusesAsync(HttpClient http, List<(string Id, long LogIndex, string PayloadHash)> issued)
    {
        foreach (var action in new[] { "suspend", "reinstate", "revoke" })
        {
            using var response = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{issued[0].Id}/{action}", new { reason = "核查 " + action });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var version = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{issued[1].Id}/versions", new { number = "J-NEW" });
        Assert.True(version.IsSuccessStatusCode, await version.Content.ReadAsStringAsync());
    }

    private static async Task<SignedTreeHead> TreeHeadAsync(HttpClient http)
    {
        var json = await GetJsonAsync(http, "/api/v1/log/tree-head");
        return new SignedTreeHead(
            json.GetProperty("treeSize").GetInt64(),
            json.GetProperty("timestamp").GetInt64(),
            json.GetProperty("rootHash").GetString()!,
            json.GetProperty("signature").GetString());
    }

    private static async Task<List<JsonElement>> EntriesAsync(HttpClient http, long start, long end) =>
        [.. (await GetJsonAsync(http, $"/api/v1/log/entries?start={start}&end={end}")).GetProperty("entries").EnumerateArray()];

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
        var body = await ApiFactory.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return body;
    }

    private static byte[][] Hashes(JsonElement array) => [.. array.EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!))];

    private async Task<SqliteConnection> OpenDatabaseAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _factory.DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue("@" + name, value);
        }

        await command.ExecuteNonQueryAsync();
    }
}
