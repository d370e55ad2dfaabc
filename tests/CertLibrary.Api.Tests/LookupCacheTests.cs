using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identifiers;
using CertLibrary.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The caches a lookup reads through (certificate rows with their opened documents, the type list, the holder's consent
/// setting and consents) follow every change at once: on the node that made it, and on another node sharing Redis.
/// </summary>
public sealed class LookupCacheTests
{
    private const string Lookup = "/api/v1/holders/lookup";
    private const string ConsentRequiredType = "urn:certlib:problem:consent-required";
    private static readonly object Body = new { idNumber = ApiFactory.HolderNumber, purpose = "缓存测试" };

    [Fact]
    public async Task Lookup_CachedCertificates_AnswerTheSameJsonAsReadById_AndRevocationShowsAtOnce()
    {
        using var factory = new ApiFactory();
        await factory.SeedAsync();
        var civil = await factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        var first = await IssueAsync(civil);
        var second = await IssueAsync(civil);
        await LookupAsync(civil);
        await LookupAsync(civil); // from the cache now

        using var revoked = await civil.PostAsJsonAsync($"/api/v1/certificates/{first}/revoke", new { reason = "证件遗失" });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var lookup = await LookupAsync(civil);

        var certificates = lookup.GetProperty("certificates").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!);
        Assert.Equal("revoked", certificates[first].GetProperty("status").GetString());
        Assert.Equal("证件遗失", certificates[first].GetProperty("statusReason").GetString());
        Assert.Equal("valid", certificates[second].GetProperty("status").GetString());
        foreach (var id in new[] { first, second })
        {
            var byId = await ApiFactory.JsonAsync(await civil.GetAsync($"/api/v1/certificates/{id}"));
            Assert.True(JsonElement.DeepEquals(byId, certificates[id]), $"lookup and read by id differ for {id}:\n{certificates[id]}\n{byId}");
        }
    }

    [Fact]
    public async Task Lookup_ConsentSwitchedOnAfterCachedLookups_NextLookupRefused_GrantAndWithdrawFollowAtOnce()
    {
        using var factory = new ApiFactory();
        await factory.SeedAsync();
        var civil = await factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        await IssueAsync(civil);
        await LookupAsync(civil);
        await LookupAsync(civil);
        var manager = factory.Services.GetRequiredService<OneNumberManager>();
        var holder = Holder();

        await manager.SetConsentRequiredAsync(holder, true, default);
        await AssertConsentRequiredAsync(civil);

        var consent = await manager.GrantConsentAsync(holder,
            new ConsentCommand(CreditCode.Parse(ApiFactory.CivilAffairs), [CertificateTypeCode.Parse(ApiFactory.MarriageType)], null, DateTimeOffset.UtcNow.AddDays(1)), default);
        Assert.True(consent.Succeeded);
        Assert.Single((await LookupAsync(civil)).GetProperty("certificates").EnumerateArray());

        Assert.True((await manager.WithdrawConsentAsync(holder, consent.Value!.Id, default)).Succeeded);
        await AssertConsentRequiredAsync(civil);
    }

    [Fact]
    public async Task Lookup_OnNodeB_ConsentSwitchedOnNodeA_RefusedAtOnce()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        await IssueAsync(nodes.OnA);
        await LookupAsync(nodes.OnB);
        await LookupAsync(nodes.OnB);

        await nodes.A.Services.GetRequiredService<OneNumberManager>().SetConsentRequiredAsync(Holder(), true, default);

        await AssertConsentRequiredAsync(nodes.OnB);
        await nodes.A.Services.GetRequiredService<OneNumberManager>().SetConsentRequiredAsync(Holder(), false, default);
        Assert.Single((await LookupAsync(nodes.OnB)).GetProperty("certificates").EnumerateArray());
    }

    [Fact]
    public async Task Lookup_OnNodeB_TypeAddedOnNodeA_NextLookupIncludesIt()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        await IssueAsync(nodes.OnA);
        Assert.Single((await LookupAsync(nodes.OnB)).GetProperty("certificates").EnumerateArray());
        Assert.Single((await LookupAsync(nodes.OnB)).GetProperty("certificates").EnumerateArray()); // type list cached on B

        var code = ApiFactory.CivilAffairs + "077";
        var added = await nodes.A.Services.GetRequiredService<ICertificateStore>().AddTypeAsync(new CertificateType
        {
            Code = code,
            Name = "缓存测试证明",
            Fields = [new FieldDefinition("note", "string", true, false)],
            Issuers = [ApiFactory.CivilAffairs],
            Users = [ApiFactory.CivilAffairs],
        }, DateTimeOffset.UtcNow, default);
        Assert.True(added);
        using var issued = await nodes.OnA.PostAsJsonAsync("/api/v1/certificates", new
        {
            typeCode = code,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "T" + Guid.NewGuid().ToString("N")[..10],
            fields = new { note = "x" },
        });
        Assert.True(issued.StatusCode == HttpStatusCode.Created, await issued.Content.ReadAsStringAsync());

        var types = (await LookupAsync(nodes.OnB)).GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("typeCode").GetString()).ToList();
        Assert.Equal([ApiFactory.MarriageType, code], types.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Lookup_OnNodeB_ServiceItemReplacedOnNodeA_NextLookupUsesNewMaterials()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        await IssueAsync(nodes.OnA);
        var forItem = new { idNumber = ApiFactory.HolderNumber, purpose = "缓存测试", serviceItem = "DEMO-CA-001" };
        for (var i = 0; i < 2; i++)
        {
            using var before = await nodes.OnB.PostAsJsonAsync(Lookup, forItem);
            var answer = await ApiFactory.JsonAsync(before);
            Assert.False(answer.GetProperty("complete").GetBoolean()); // the required 残疾人证 is missing
        }

        var item = DemoSeederItem("DEMO-CA-001") with { RequiredMaterials = [new ServiceMaterial(ApiFactory.MarriageType, Required: true)] };
        Assert.True(await nodes.A.Services.GetRequiredService<IServiceItemStore>().ReplaceAsync(item, DateTimeOffset.UtcNow, default));

        using var after = await nodes.OnB.PostAsJsonAsync(Lookup, forItem);
        var replaced = await ApiFactory.JsonAsync(after);
        Assert.True(replaced.GetProperty("complete").GetBoolean());
        Assert.Equal(ApiFactory.MarriageType, Assert.Single(replaced.GetProperty("satisfied").EnumerateArray()).GetProperty("typeCode").GetString());
    }

    private static ServiceItem DemoSeederItem(string code) => CertLibrary.Api.Infrastructure.DemoSeeder.ServiceItems.Single(i => i.Code == code);

    private static CitizenId Holder()
    {
        Assert.True(CitizenId.TryParse(ApiFactory.HolderNumber, TimeProvider.System, out var holder, out _));
        return holder;
    }

    private static async Task<string> IssueAsync(HttpClient http)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/certificates", ApiFactory.MarriageRequest());
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiFactory.JsonAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> LookupAsync(HttpClient http)
    {
        using var response = await http.PostAsJsonAsync(Lookup, Body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await ApiFactory.JsonAsync(response);
    }

    private static async Task AssertConsentRequiredAsync(HttpClient http)
    {
        using var response = await http.PostAsJsonAsync(Lookup, Body);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(ConsentRequiredType, (await ApiFactory.JsonAsync(response)).GetProperty("type").GetString());
    }
}
