using System.Text.Json.Nodes;
using CertLibrary.Signing;
using CertLibrary.Verification;

namespace CertLibrary.Api.Tests;

/// <summary>The offline verifier checks an inclusion proof bundled with a certificate (issue 7).</summary>
public sealed class LogInclusionTests : IAsyncLifetime
{
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
    public async Task BundledInclusionProof_VerifiesOffline_AndFailsForAlteredCertificateOrHead()
    {
        var http = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        var certificate = JsonNode.Parse(await (await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", ApiFactory.MarriageRequest())).Content.ReadAsStringAsync())!.AsObject();
        await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", ApiFactory.MarriageRequest());
        var logIndex = certificate["logIndex"]!.GetValue<long>();
        var head = JsonNode.Parse(await http.GetStringAsync("/api/v1/log/tree-head"))!.AsObject();
        var proof = JsonNode.Parse(await http.GetStringAsync($"/api/v1/log/proof/inclusion?index={logIndex}&treeSize={head["treeSize"]}"))!;
        var path = proof["auditPath"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        var signature = certificate["signature"]!.AsObject();

        Assert.Null(LogInclusion.Verify(signature, head, path, _factory.PlatformKeys()));

        var otherHead = (JsonObject)head.DeepClone();
        otherHead["treeSize"] = head["treeSize"]!.GetValue<long>() - 1;
        Assert.NotNull(LogInclusion.Verify(signature, otherHead, path, _factory.PlatformKeys()));
        var altered = (JsonObject)signature.DeepClone();
        var payload = JsonNode.Parse(Base64Url.Decode(altered["payload"]!.GetValue<string>()))!;
        payload["number"] = "BACKDATED";
        altered["payload"] = Base64Url.Encode(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()));
        Assert.Equal("the certificate's log entry is not included at its logIndex in this tree", LogInclusion.Verify(altered, head, path, _factory.PlatformKeys()));
        Assert.NotNull(LogInclusion.Verify(signature, head, ["not base64!"], _factory.PlatformKeys()));
    }
}
