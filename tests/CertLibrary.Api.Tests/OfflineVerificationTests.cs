using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Signing;
using CertLibrary.Verification;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>Offline verification with downloaded lists, and online tokens past their lifetime (controlled clock).</summary>
public sealed class OfflineVerificationTests : IAsyncLifetime
{
    private readonly ManualTime _time = new();
    private readonly ApiFactory _factory;
    private HttpClient _civil = null!;

    public OfflineVerificationTests() => _factory = new ApiFactory { Time = _time };

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    private async Task<(string Id, string ListId, string Qr)> IssueWithQrAsync(string form)
    {
        using var issued = await ApiFactory.PostJsonAsync(_civil, "/api/v1/certificates", ApiFactory.MarriageRequest());
        var certificate = await ApiFactory.JsonAsync(issued);
        var id = certificate.GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form={form}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        using var response = await _civil.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (id, certificate.GetProperty("statusList").GetProperty("listId").GetString()!, await response.Content.ReadAsStringAsync());
    }

    private async Task<(string TrustList, string[] StatusLists, List<JsonObject> Roots)> DownloadAsync(string listId)
    {
        var http = _factory.CreateClient();
        var trustList = await http.GetStringAsync("/api/v1/trust-list");
        var lists = new[]
        {
            await http.GetStringAsync($"/api/v1/status-lists/{listId}"),
            await http.GetStringAsync($"/api/v1/status-lists/{listId}?purpose=suspension"),
        };
        var roots = JsonNode.Parse(Base64Url.Decode(JsonNode.Parse(trustList)!["payload"]!.GetValue<string>()))!["rootKeys"]!.AsArray()
            .Select(r => (JsonObject)r!.DeepClone()).ToList();
        return (trustList, lists, roots);
    }

    private SignatureSuites Suites => _factory.Services.GetRequiredService<SignatureSuites>();

    [Fact]
    public async Task Offline_FreshLists_ValidNotStale()
    {
        var (_, listId, qr) = await IssueWithQrAsync("offline");
        var (trustList, lists, roots) = await DownloadAsync(listId);

        var report = await OfflineVerifier.VerifyAsync(qr, trustList, lists, roots, Suites, _time.GetUtcNow());

        Assert.Equal(VerificationResults.Valid, report.Result);
        Assert.Null(report.TrustListStaleSince);
    }

    [Fact]
    public async Task Offline_TrustListPastNextUpdate_StillVerifiesReportedStale()
    {
        var (_, listId, qr) = await IssueWithQrAsync("offline");
        var (trustList, lists, roots) = await DownloadAsync(listId);

        var report = await OfflineVerifier.VerifyAsync(qr, trustList, lists, roots, Suites, _time.GetUtcNow().AddHours(25));

        Assert.Equal(VerificationResults.Valid, report.Result);
        Assert.NotNull(report.TrustListStaleSince);
        Assert.Contains(report.Reasons, r => r.StartsWith("trust list stale since ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Offline_RevokedAndSuspendedInDownloadedLists_Reported()
    {
        var revoked = await IssueWithQrAsync("offline");
        var suspended = await IssueWithQrAsync("offline");
        using var r1 = await ApiFactory.PostJsonAsync(_civil, $"/api/v1/certificates/{revoked.Id}/revoke", new { reason = "x" });
        using var r2 = await ApiFactory.PostJsonAsync(_civil, $"/api/v1/certificates/{suspended.Id}/suspend", new { reason = "x" });
        var (trustList, lists, roots) = await DownloadAsync(revoked.ListId);

        var revokedReport = await OfflineVerifier.VerifyAsync(revoked.Qr, trustList, lists, roots, Suites, _time.GetUtcNow());
        var suspendedReport = await OfflineVerifier.VerifyAsync(suspended.Qr, trustList, lists, roots, Suites, _time.GetUtcNow());
        var revocationOnly = await OfflineVerifier.VerifyAsync(suspended.Qr, trustList, lists[..1], roots, Suites, _time.GetUtcNow());

        Assert.Equal(VerificationResults.Revoked, revokedReport.Result);
        Assert.Equal(VerificationResults.Suspended, suspendedReport.Result);
        Assert.NotEqual(VerificationResults.Valid, revocationOnly.Result);
    }

    [Fact]
    public async Task Offline_ForgedTrustListOrWrongRoots_Invalid()
    {
        var (_, listId, qr) = await IssueWithQrAsync("offline");
        var (trustList, lists, _) = await DownloadAsync(listId);
        var suite = Suites.Get("ES256");
        var otherRoot = suite.ExportJwk(suite.GenerateKeyPair().SubjectPublicKeyInfo);
        otherRoot["alg"] = "ES256";

        var wrongRoot = await OfflineVerifier.VerifyAsync(qr, trustList, lists, [otherRoot], Suites, _time.GetUtcNow());
        var garbage = await OfflineVerifier.VerifyAsync(qr, "{\"payload\":", lists, null, Suites, _time.GetUtcNow());

        Assert.Equal(VerificationResults.Invalid, wrongRoot.Result);
        Assert.Equal(VerificationResults.Invalid, garbage.Result);
    }

    [Fact]
    public async Task OnlineToken_AfterTenMinutes_InvalidExpired()
    {
        var (_, _, url) = await IssueWithQrAsync("online");
        var http = _factory.CreateClient();
        Assert.Equal("valid", await ResultAsync(http, url));

        _time.Advance(TimeSpan.FromMinutes(11));

        var answer = await PostAsync(http, url);
        Assert.Equal("invalid", answer.GetProperty("result").GetString());
        Assert.Contains("expired", answer.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("无效", await http.GetStringAsync(new Uri(url).PathAndQuery), StringComparison.Ordinal);
    }

    private static async Task<string> ResultAsync(HttpClient http, string url) => (await PostAsync(http, url)).GetProperty("result").GetString()!;

    private static async Task<JsonElement> PostAsync(HttpClient http, string url)
    {
        using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/verify", new { qr = url });
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private sealed class ManualTime : TimeProvider
    {
        private TimeSpan _offset;

        public void Advance(TimeSpan by) => _offset += by;

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;
    }
}
