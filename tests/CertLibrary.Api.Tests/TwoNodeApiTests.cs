using System.Net;
using System.Net.Http.Json;
using CertLibrary.Signing;
using CertLibrary.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>Two API hosts on one real PostgreSQL and one real Redis, as in production.</summary>
public sealed class TwoNodeApiTests
{
    [Fact]
    public async Task Revoke_OnNodeA_ReadOnNodeB_AtOnce_IsRevoked()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        var (nodeA, nodeB, onA, onB) = (nodes.A, nodes.B, nodes.OnA, nodes.OnB);

        using var issued = await ApiFactory.PostJsonAsync(onA, "/api/v1/certificates", ApiFactory.MarriageRequest());
        var certificate = await ApiFactory.JsonAsync(issued);
        var id = certificate.GetProperty("id").GetString();
        var logIndex = certificate.GetProperty("logIndex").GetInt64();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("valid", (await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString());
        }

        using var revoked = await ApiFactory.PostJsonAsync(onA, $"/api/v1/certificates/{id}/revoke", new { reason = "证件遗失" });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        Assert.Equal("revoked", (await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString());
        using var ready = await nodeB.CreateClient().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // The transparency log written on A is read and proven on B (PostgreSQL log reader).
        var head = await ApiFactory.JsonAsync(await onB.GetAsync("/api/v1/log/tree-head"));
        var size = head.GetProperty("treeSize").GetInt64();
        Assert.Equal(logIndex + 2, size); // the issue entry, then the revoke entry, are the last two
        var proof = await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/log/proof/inclusion?index={logIndex}&treeSize={size}"));
        var entries = await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/log/entries?start={logIndex}&end={size}"));
        var leaf = Convert.FromBase64String(entries.GetProperty("entries")[0].GetProperty("leafInput").GetString()!);
        Assert.True(CertLibrary.TransparencyLog.MerkleVerifier.VerifyInclusion(
            CertLibrary.TransparencyLog.MerkleHash.Leaf(leaf), logIndex, size,
            [.. proof.GetProperty("auditPath").EnumerateArray().Select(p => Convert.FromBase64String(p.GetString()!))],
            Convert.FromBase64String(head.GetProperty("rootHash").GetString()!)));
        Assert.Equal("revoke", entries.GetProperty("entries")[1].GetProperty("entry").GetProperty("eventType").GetString());
    }

    [Fact]
    public async Task CertificateRevoked_OnNodeA_QrVerifiedOnNodeB_AtOnce_IsRevoked()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        var (id, qr) = await IssueWithOfflineQrAsync(nodes.OnA);
        var verifierB = nodes.B.CreateClient();
        var verifierA = nodes.A.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            // Both nodes now hold the key list and the certificate's status in memory.
            Assert.Equal("valid", await ResultAsync(verifierB, qr));
            Assert.Equal("valid", await ResultAsync(verifierA, qr));
        }

        using var suspended = await ApiFactory.PostJsonAsync(nodes.OnA, $"/api/v1/certificates/{id}/suspend", new { reason = "核查中" });
        Assert.Equal(HttpStatusCode.OK, suspended.StatusCode);
        Assert.Equal("suspended", await ResultAsync(verifierB, qr));
        Assert.Equal("suspended", await ResultAsync(verifierA, qr));

        using var revoked = await ApiFactory.PostJsonAsync(nodes.OnB, $"/api/v1/certificates/{id}/revoke", new { reasonCode = "keyCompromise", reason = "证件遗失" });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var answer = await ApiFactory.JsonAsync(await verifierA.PostAsJsonAsync("/api/v1/verify", new { qr }));
        Assert.Equal("revoked", answer.GetProperty("result").GetString());
        Assert.Contains("reasonCode: keyCompromise", answer.GetProperty("reasons").ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("证件遗失", answer.GetProperty("reasons").ToString(), StringComparison.Ordinal); // the free text stays sealed
        Assert.Equal("revoked", await ResultAsync(verifierB, qr));
    }

    [Fact]
    public async Task Representative_UnlinkedOrRevokedOnNodeA_SeenOnNodeB_AtOnce()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        await CertLibrary.Api.Infrastructure.DemoSeeder.SeedDemoCompanyAsync(nodes.A.Services, TextWriter.Null, default);
        const string Company = CertLibrary.Api.Infrastructure.DemoSeeder.DemoCompanyCode;
        var market = await nodes.A.ClientForAsync(CertLibrary.Api.Infrastructure.DemoSeeder.MarketRegulation, "certlib.issue", "certlib.use");
        var representative = "110101199003070097";
        var path = $"/api/v1/organizations/{Company}/representatives";
        using (var link = await market.PostAsJsonAsync(path, new { idNumber = representative, role = "agent" }))
        {
            Assert.Equal(HttpStatusCode.Created, link.StatusCode);
        }

        var onB = await nodes.B.CitizenClientAsync(representative);
        var held = await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/me/organizations/{Company}/certificates"));
        var licence = held.EnumerateArray().First().GetProperty("id").GetString();
        for (var i = 0; i < 3; i++)
        {
            // Node B now holds the company's certificates in its cache.
            Assert.Equal(2, (await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/me/organizations/{Company}/certificates"))).GetArrayLength());
        }

        using (var revoked = await market.PostAsJsonAsync($"/api/v1/certificates/{licence}/revoke", new { reasonCode = "cessationOfOperation" }))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        var afterRevoke = await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/me/organizations/{Company}/certificates"));
        Assert.Equal("revoked", afterRevoke.EnumerateArray().Single(c => c.GetProperty("id").GetString() == licence).GetProperty("status").GetString());

        using (var unlink = await market.PostAsJsonAsync(path + "/remove", new { idNumber = representative }))
        {
            Assert.Equal(HttpStatusCode.OK, unlink.StatusCode);
        }

        using var refused = await onB.GetAsync($"/api/v1/me/organizations/{Company}/certificates");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("urn:certlib:problem:not-a-representative", (await ApiFactory.JsonAsync(refused)).GetProperty("type").GetString());
    }

    private static async Task<string?> ResultAsync(HttpClient verifier, string qr) =>
        (await ApiFactory.JsonAsync(await verifier.PostAsJsonAsync("/api/v1/verify", new { qr }))).GetProperty("result").GetString();

    [Fact]
    public async Task IssuerKeyRevoked_OnNodeA_QrVerifiedOnNodeB_AtOnce_IsInvalid()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        var (_, qr) = await IssueWithOfflineQrAsync(nodes.OnA);
        Assert.StartsWith("CL2:", qr, StringComparison.Ordinal);
        var verifier = nodes.B.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            // B now holds the key list in its cache.
            Assert.Equal("valid", (await ApiFactory.JsonAsync(await verifier.PostAsJsonAsync("/api/v1/verify", new { qr }))).GetProperty("result").GetString());
        }

        Assert.True(CertLibrary.Verification.CoseQr.TryDecode(qr, out var message, out _));
        var kid = message.Signers[^1].KeyId!;
        Assert.True(await nodes.A.Services.GetRequiredService<KeyManager>().RevokeAsync(kid, CancellationToken.None));

        var answer = await ApiFactory.JsonAsync(await verifier.PostAsJsonAsync("/api/v1/verify", new { qr }));
        Assert.Equal("invalid", answer.GetProperty("result").GetString());
        Assert.Contains("revoked", answer.GetProperty("reasons").ToString(), StringComparison.Ordinal);
    }

    /// <summary>Issues a 结婚证 through <paramref name="department"/> and fetches its offline QR text.</summary>
    private static async Task<(string? Id, string Qr)> IssueWithOfflineQrAsync(HttpClient department)
    {
        using var issued = await ApiFactory.PostJsonAsync(department, "/api/v1/certificates", ApiFactory.MarriageRequest());
        var id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString();
        using var qrRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form=offline");
        qrRequest.Headers.Accept.ParseAdd("text/plain");
        using var qrResponse = await department.SendAsync(qrRequest);
        return (id, await qrResponse.Content.ReadAsStringAsync());
    }
}

/// <summary>Redis stopped and restarted under two API hosts: reads go to PostgreSQL, never stale, and the cache resumes.</summary>
public sealed class RedisOutageApiTests
{
    [Fact]
    public async Task RedisDown_ApiServesFromDatabase_NeverStale_AndCacheResumes()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        var (nodeA, nodeB, onA, onB) = (nodes.A, nodes.B, nodes.OnA, nodes.OnB);
        var metricsB = (CertLibrary.CertStore.Caching.CacheMetrics)nodeB.Services.GetService(typeof(CertLibrary.CertStore.Caching.CacheMetrics))!;
        var id = (await ApiFactory.JsonAsync(await ApiFactory.PostJsonAsync(onA, "/api/v1/certificates", ApiFactory.MarriageRequest()))).GetProperty("id").GetString();
        await onB.GetAsync($"/api/v1/certificates/{id}");
        await onB.GetAsync($"/api/v1/certificates/{id}");
        Assert.True(metricsB.Hits > 0, "node B serves repeated reads from its cache while Redis is up");

        redis.Stop();
        using var readyDown = await WaitForAsync(nodeB, HttpStatusCode.ServiceUnavailable);
        using var suspended = await ApiFactory.PostJsonAsync(onA, $"/api/v1/certificates/{id}/suspend", new { reason = "核查中" });
        Assert.Equal(HttpStatusCode.OK, suspended.StatusCode);
        Assert.Equal("suspended", await StatusOnAsync(onB, id!));
        Assert.True(metricsB.Bypasses > 0, "with Redis down node B reads from the database");

        redis.Start();
        using var readyUp = await WaitForAsync(nodeB, HttpStatusCode.OK);
        var hits = metricsB.Hits;

        // A node whose Redis connection came back reads from the database for 5 s more (README); allow three times that.
        for (var i = 0; i < 150 && metricsB.Hits == hits; i++)
        {
            Assert.Equal("suspended", await StatusOnAsync(onB, id!));
            await Task.Delay(100);
        }

        Assert.True(metricsB.Hits > hits, "the cache resumes once Redis is back");
        using var revoked = await ApiFactory.PostJsonAsync(onA, $"/api/v1/certificates/{id}/revoke", new { reason = "吊销" });
        Assert.Equal("revoked", await StatusOnAsync(onB, id!));
    }

    private static async Task<string?> StatusOnAsync(HttpClient http, string id) =>
        (await ApiFactory.JsonAsync(await http.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString();

    private static async Task<HttpResponseMessage> WaitForAsync(ApiFactory node, HttpStatusCode readiness)
    {
        var http = node.CreateClient();
        for (var i = 0; i < 100; i++)
        {
            var response = await http.GetAsync("/health/ready");
            if (response.StatusCode == readiness)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException($"/health/ready never answered {readiness}.");
    }
}

/// <summary>Two API hosts of one deployment (shared PostgreSQL database, Redis and master key), demo data seeded, a 民政部 client on each.</summary>
internal sealed class TwoNodes : IAsyncDisposable
{
    private TwoNodes(ApiFactory a, ApiFactory b, HttpClient onA, HttpClient onB) => (A, B, OnA, OnB) = (a, b, onA, onB);

    public ApiFactory A { get; }

    public ApiFactory B { get; }

    public HttpClient OnA { get; }

    public HttpClient OnB { get; }

    /// <summary>Starts both nodes; <paramref name="timeA"/> and <paramref name="timeB"/> replace their clocks when given.</summary>
    public static async Task<TwoNodes> StartAsync(RedisServer redis, TimeProvider? timeA = null, TimeProvider? timeB = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["CERTLIB_STORE"] = "postgresql",
            ["CERTLIB_POSTGRES"] = await TestEnvironment.CreatePostgresDatabaseAsync(),
            ["CERTLIB_REDIS"] = redis.Configuration,
        };
        var key = TestEnvironment.NewMasterKey();
        var a = new ApiFactory { Settings = settings, MasterKey = key, Time = timeA };
        var b = new ApiFactory { Settings = settings, MasterKey = key, Time = timeB };
        _ = a.Server;
        _ = b.Server;
        await a.SeedAsync();
        return new TwoNodes(a, b,
            await a.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use"),
            await b.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use"));
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
