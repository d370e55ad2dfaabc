using System.Net;
using CertLibrary.CertStore.Tests;

namespace CertLibrary.Api.Tests;

/// <summary>Two API hosts on one real PostgreSQL and one real Redis, as in production.</summary>
public sealed class TwoNodeApiTests
{
    [Fact]
    public async Task Revoke_OnNodeA_ReadOnNodeB_AtOnce_IsRevoked()
    {
        using var redis = new RedisServer();
        var settings = new Dictionary<string, string>
        {
            ["CERTLIB_STORE"] = "postgresql",
            ["CERTLIB_POSTGRES"] = await TestEnvironment.CreatePostgresDatabaseAsync(),
            ["CERTLIB_REDIS"] = redis.Configuration,
        };
        var key = TestEnvironment.NewMasterKey();
        using var nodeA = new ApiFactory { Settings = settings, MasterKey = key };
        using var nodeB = new ApiFactory { Settings = settings, MasterKey = key };
        _ = nodeA.Server;
        _ = nodeB.Server;
        await nodeA.SeedAsync();
        var onA = await nodeA.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        var onB = await nodeB.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");

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
}
