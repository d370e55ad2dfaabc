using System.Net;
using System.Text;
using System.Text.Json;
using CertLibrary.Testing;

namespace CertLibrary.Api.Tests;

public sealed class CertificatesApiTests : IAsyncLifetime
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

    private Task<HttpClient> CivilAffairsAsync() => _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");

    private async Task<string> IssueAsync(HttpClient http)
    {
        using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", ApiFactory.MarriageRequest());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await ApiFactory.JsonAsync(response)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Issue_ValidBody_Returns201WithBothSignaturesAndLocation()
    {
        var http = await CivilAffairsAsync();

        using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", ApiFactory.MarriageRequest());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await ApiFactory.JsonAsync(response);
        Assert.Equal("valid", body.GetProperty("status").GetString());
        Assert.StartsWith("1.2.156.3005.2." + ApiFactory.MarriageType, body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, body.GetProperty("signature").GetProperty("signatures").GetArrayLength());
        Assert.Equal("民政部", body.GetProperty("issuer").GetProperty("name").GetString());
        Assert.Equal(response.Headers.Location!.ToString(), "/api/v1/certificates/" + body.GetProperty("id").GetString());
        using var read = await http.GetAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Theory]
    [InlineData("11010519491231002Y", "holder.idNumber")]
    [InlineData("1101051949123", "holder.idNumber")]
    public async Task Issue_MalformedIdentityNumber_400ProblemNamingField(string idNumber, string field)
    {
        var http = await CivilAffairsAsync();

        using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", ApiFactory.MarriageRequest(idNumber));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await ApiFactory.JsonAsync(response);
        Assert.Equal("urn:certlib:problem:validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.DoesNotContain(idNumber, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_UnknownType_MissingAndUnknownFields_400()
    {
        var http = await CivilAffairsAsync();
        var unknownType = new { typeCode = ApiFactory.CivilAffairs + "999", holder = new { idNumber = ApiFactory.HolderNumber, name = "张三" }, number = "1", fields = new { } };

        using var typeResponse = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", unknownType);
        using var fieldsResponse = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates",
            ApiFactory.MarriageRequest(fields: new { spouseName = "李四", colour = "red", registrationOffice = "x" }));

        Assert.Equal(HttpStatusCode.BadRequest, typeResponse.StatusCode);
        Assert.True((await ApiFactory.JsonAsync(typeResponse)).GetProperty("errors").TryGetProperty("typeCode", out _));
        var errors = (await ApiFactory.JsonAsync(fieldsResponse)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("fields.colour", out _));
        Assert.True(errors.TryGetProperty("fields.registeredOn", out _));
    }

    /// <summary>Number literals other languages' parsers reject or read as another number, and strings that only look like numbers.</summary>
    public static TheoryData<string> UnboundedNumbers => new([.. NumberLiterals.Unbounded, "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1e400\""]);

    public static TheoryData<string> BoundedNumbers => new(NumberLiterals.Bounded);

    [Theory]
    [MemberData(nameof(UnboundedNumbers))]
    public async Task IssueBatchAndNewVersion_UnboundedNumberField_400NamingField_NothingIssued(string literal)
    {
        var http = await CivilAffairsAsync();
        var valid = DisabilityRequest("2");
        using var issuedValid = await http.PostAsync("/api/v1/certificates", Json(valid));
        Assert.Equal(HttpStatusCode.Created, issuedValid.StatusCode);
        var id = (await ApiFactory.JsonAsync(issuedValid)).GetProperty("id").GetString();
        var store = (CertLibrary.CertStore.Stores.ICertificateStore)_factory.Services.GetService(typeof(CertLibrary.CertStore.Stores.ICertificateStore))!;

        using var issue = await http.PostAsync("/api/v1/certificates", Json(DisabilityRequest(literal)));
        using var batch = await http.PostAsync("/api/v1/certificates/batch", Json($"{{\"items\":[{DisabilityRequest(literal)}]}}"));
        using var version = await http.PostAsync($"/api/v1/certificates/{id}/versions", Json($"{{\"fields\":{{\"category\":\"肢体残疾\",\"grade\":{literal}}}}}"));

        foreach (var response in new[] { issue, version })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ApiFactory.JsonAsync(response);
            Assert.True(problem.GetProperty("errors").TryGetProperty("fields.grade", out _), problem.ToString());
        }

        var item = (await ApiFactory.JsonAsync(batch)).GetProperty("items")[0];
        Assert.Equal(400, item.GetProperty("status").GetInt32());
        Assert.True(item.GetProperty("problem").GetProperty("errors").TryGetProperty("fields.grade", out _), item.ToString());
        Assert.Equal(1, await store.CountCertificatesAsync(default));
    }

    [Theory]
    [MemberData(nameof(BoundedNumbers))]
    public async Task Issue_BoundedNumberField_Issued_WithTheLiteralSigned(string literal)
    {
        var http = await CivilAffairsAsync();

        using var response = await http.PostAsync("/api/v1/certificates", Json(DisabilityRequest(literal)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payload = (await ApiFactory.JsonAsync(response)).GetProperty("signature").GetProperty("payload").GetString()!;
        Assert.Contains($"\"grade\":{literal}", Encoding.UTF8.GetString(CertLibrary.Signing.Base64Url.Decode(payload)), StringComparison.Ordinal);
    }

    private static string DisabilityRequest(string gradeLiteral) =>
        $"{{\"typeCode\":\"{ApiFactory.CivilAffairs}002\",\"holder\":{{\"idNumber\":\"{ApiFactory.HolderNumber}\",\"name\":\"张小三\"}},\"number\":\"C{Guid.NewGuid():N}\",\"fields\":{{\"category\":\"肢体残疾\",\"grade\":{gradeLiteral}}}}}";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Issue_MalformedJsonOrOversizeBody_ProblemAndNothingStored()
    {
        var http = await CivilAffairsAsync();

        using var malformed = await http.PostAsync("/api/v1/certificates", new StringContent("{\"typeCode\": ", Encoding.UTF8, "application/json"));
        var huge = JsonSerializer.Serialize(ApiFactory.MarriageRequest(fields: new { spouseName = new string('x', 100_000) }));
        using var oversize = await http.PostAsync("/api/v1/certificates", new StringContent(huge, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversize.StatusCode);
        Assert.Equal("urn:certlib:problem:payload-too-large", (await ApiFactory.JsonAsync(oversize)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task OtherDepartment_GetsNotFound_ForReadAndRevoke_AndNothingChanges()
    {
        var owner = await CivilAffairsAsync();
        var id = await IssueAsync(owner);
        var stranger = await _factory.ClientForAsync("91350100M000100Y43", "certlib.issue", "certlib.use");

        using var read = await stranger.GetAsync($"/api/v1/certificates/{id}");
        using var revoke = await ApiFactory.PostJsonAsync(stranger, $"/api/v1/certificates/{id}/revoke", new { reason = "not mine" });

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        Assert.Equal("valid", (await ApiFactory.JsonAsync(await owner.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task UsingDepartment_CanRead_ButNotRevoke()
    {
        var id = await IssueAsync(await CivilAffairsAsync());
        var housingUser = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.use", "certlib.issue");

        using var read = await housingUser.GetAsync($"/api/v1/certificates/{id}");
        using var revoke = await ApiFactory.PostJsonAsync(housingUser, $"/api/v1/certificates/{id}/revoke", new { reason = "x" });

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
    }

    [Fact]
    public async Task Revoke_Twice_SameReasonCodeOk_DifferentReasonCode409()
    {
        var http = await CivilAffairsAsync();
        var id = await IssueAsync(http);

        using var first = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{id}/revoke", new { reasonCode = "keyCompromise", reason = "证件遗失" });
        using var same = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{id}/revoke", new { reasonCode = "keyCompromise", reason = "证件被盗" });
        using var other = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{id}/revoke", new { reason = "其他" });
        using var noReason = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{id}/suspend", new { });

        Assert.Equal("revoked", (await ApiFactory.JsonAsync(first)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
    }

    [Fact]
    public async Task SuspendReinstateAndNewVersion_OverHttp()
    {
        var http = await CivilAffairsAsync();
        var id = await IssueAsync(http);

        using var suspended = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{id}/suspend", new { reason = "核查" });
        using var reinstated = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{id}/reinstate", new { reason = "核查完毕" });
        using var version = await ApiFactory.PostJsonAsync(http, $"/api/v1/certificates/{id}/versions", new { number = "J-NEW" });

        Assert.Equal("suspended", (await ApiFactory.JsonAsync(suspended)).GetProperty("status").GetString());
        Assert.Equal("valid", (await ApiFactory.JsonAsync(reinstated)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Created, version.StatusCode);
        var newVersion = await ApiFactory.JsonAsync(version);
        Assert.Equal(2, newVersion.GetProperty("version").GetInt32());
        Assert.Equal(id, newVersion.GetProperty("supersedes").GetString());
        Assert.Equal("revoked", (await ApiFactory.JsonAsync(await http.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Batch_RetriedWithSameIdempotencyKey_CreatesNothingNew()
    {
        var http = await CivilAffairsAsync();
        var items = Enumerable.Range(0, 10).Select(_ => ApiFactory.MarriageRequest()).Append(ApiFactory.MarriageRequest("bad")).ToArray();
        using var request1 = new HttpRequestMessage(HttpMethod.Post, "/api/v1/certificates/batch") { Content = JsonContent(new { items }) };
        request1.Headers.Add("Idempotency-Key", "import-2026-11-23-1");
        using var request2 = new HttpRequestMessage(HttpMethod.Post, "/api/v1/certificates/batch") { Content = JsonContent(new { items }) };
        request2.Headers.Add("Idempotency-Key", "import-2026-11-23-1");

        var first = await ApiFactory.JsonAsync(await http.SendAsync(request1));
        var second = await ApiFactory.JsonAsync(await http.SendAsync(request2));

        Assert.Equal(10, first.GetProperty("created").GetInt32());
        Assert.Equal(1, first.GetProperty("failed").GetInt32());
        Assert.Equal(400, first.GetProperty("items")[10].GetProperty("status").GetInt32());
        var itemProblem = first.GetProperty("items")[10].GetProperty("problem");
        Assert.Equal("urn:certlib:problem:validation", itemProblem.GetProperty("type").GetString());
        Assert.True(itemProblem.GetProperty("errors").TryGetProperty("holder.idNumber", out _), itemProblem.ToString());
        var ids1 = first.GetProperty("items").EnumerateArray().Take(10).Select(i => i.GetProperty("certificate").GetProperty("id").GetString());
        var ids2 = second.GetProperty("items").EnumerateArray().Take(10).Select(i => i.GetProperty("certificate").GetProperty("id").GetString());
        Assert.Equal(ids1, ids2);
        var store = (CertLibrary.CertStore.Stores.ICertificateStore)_factory.Services.GetService(typeof(CertLibrary.CertStore.Stores.ICertificateStore))!;
        Assert.Equal(10, await store.CountCertificatesAsync(default));
    }

    [Fact]
    public async Task Batch_CreatedItems_AreTheCertificatesAsReadBack_InRequestOrder()
    {
        var http = await CivilAffairsAsync();
        var items = Enumerable.Range(0, 12).Select(_ => ApiFactory.MarriageRequest()).ToArray();
        items[5] = ApiFactory.MarriageRequest("bad");

        using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates/batch", new { items });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ApiFactory.JsonAsync(response);
        Assert.Equal((11, 1), (body.GetProperty("created").GetInt32(), body.GetProperty("failed").GetInt32()));
        var answers = body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(0, 12), answers.Select(a => a.GetProperty("index").GetInt32()));
        Assert.Equal(JsonValueKind.Null, answers[5].GetProperty("certificate").ValueKind);
        var logIndexes = new List<long>();
        foreach (var answer in answers.Where(a => a.GetProperty("status").GetInt32() == 201))
        {
            var certificate = answer.GetProperty("certificate");
            using var read = await http.GetAsync($"/api/v1/certificates/{certificate.GetProperty("id").GetString()}");
            Assert.True(JsonElement.DeepEquals(certificate, await ApiFactory.JsonAsync(read)), certificate.ToString());
            logIndexes.Add(certificate.GetProperty("logIndex").GetInt64());
        }

        Assert.Equal(Enumerable.Range(0, 11).Select(k => logIndexes[0] + k), logIndexes);
    }

    [Fact]
    public async Task WrongScope_403_NoToken_401_ForgedToken_401()
    {
        var verifyOnly = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.verify");
        var anonymous = _factory.CreateClient();
        var forged = _factory.CreateClient();
        var good = await CivilAffairsAsync();
        var token = good.DefaultRequestHeaders.Authorization!.Parameter!;
        forged.DefaultRequestHeaders.Authorization = new("Bearer", token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA"));

        using var wrongScope = await ApiFactory.PostJsonAsync(verifyOnly, "/api/v1/certificates", ApiFactory.MarriageRequest());
        using var noToken = await ApiFactory.PostJsonAsync(anonymous, "/api/v1/certificates", ApiFactory.MarriageRequest());
        using var forgedResponse = await ApiFactory.PostJsonAsync(forged, "/api/v1/certificates", ApiFactory.MarriageRequest());

        Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedResponse.StatusCode);
    }

    [Fact]
    public async Task Swagger_DocumentsEveryRouteWithNameAndSummary()
    {
        using var response = await _factory.CreateClient().GetAsync("/swagger/v1/swagger.json");
        var document = await ApiFactory.JsonAsync(response);

        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Operation: o.Value))).ToList();
        Assert.Contains(operations, o => o.Path == "/api/v1/certificates/{id}/revoke");
        Assert.All(operations.Where(o => o.Path.StartsWith("/api/", StringComparison.Ordinal)), o =>
        {
            Assert.True(o.Operation.TryGetProperty("operationId", out _), o.Path);
            Assert.True(o.Operation.TryGetProperty("summary", out _), o.Path);
        });
    }

    private static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}

public sealed class ExpiredTokenTests
{
    [Fact]
    public async Task ExpiredToken_401()
    {
        using var factory = new ApiFactory { Time = new PastTime(TimeSpan.FromHours(2)) };
        _ = factory.Server;
        await factory.SeedAsync();
        var http = await factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue");

        using var response = await http.GetAsync("/api/v1/certificates/1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", response.Headers.WwwAuthenticate.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    private sealed class PastTime(TimeSpan behind) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() - behind;
    }
}
