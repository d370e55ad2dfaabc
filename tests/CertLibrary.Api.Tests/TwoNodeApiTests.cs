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
        var id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("valid", (await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString());
        }

        using var revoked = await ApiFactory.PostJsonAsync(onA, $"/api/v1/certificates/{id}/revoke", new { reason = "证件遗失" });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        Assert.Equal("revoked", (await ApiFactory.JsonAsync(await onB.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString());
        using var ready = await nodeB.CreateClient().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}
