using System.Net;
using System.Net.Http.Headers;

namespace CertLibrary.Api.Tests;

/// <summary>The bodies the hostile-input test first found answered 500: each now gets a clear 400 (or 'invalid' from verify).</summary>
public sealed class MalformedBodyTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new();
    private HttpClient _civil = null!;

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    public static TheoryData<string, byte[]> Bodies => new()
    {
        { "duplicate member in fields", Utf8("""{"typeCode":"11100000000013338W001","holder":{"idNumber":"11010519491231002X","name":"张三"},"number":"J1","fields":{"spouseName":"李四","spouseName":"王五","registeredOn":"2020-05-20","registrationOffice":"x"}}""") },
        { "duplicate top-level member", Utf8("""{"typeCode":"11100000000013338W001","typeCode":"11100000000013338W001"}""") },
        { "invalid UTF-8 in a field name", [.. Utf8("""{"typeCode":"11100000000013338W001","holder":{"idNumber":"11010519491231002X","name":"张三"},"number":"J1","fields":{"spouse"""), 0xC3, 0x28, .. Utf8("""Name":"李四"}}""")] },
        { "lone surrogate escape in a field value", Utf8("""{"typeCode":"11100000000013338W001","holder":{"idNumber":"11010519491231002X","name":"张三"},"number":"J1","fields":{"spouseName":"\uD800"}}""") },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Issue_MalformedJson_400ValidationProblem_NothingIssued(string why, byte[] body)
    {
        using var response = await PostAsync(_civil, "/api/v1/certificates", body);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:certlib:problem:validation", (await ApiFactory.JsonAsync(response)).GetProperty("type").GetString());
        Assert.Equal(0, Certificates());
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Verify_SameBodiesAsQrOrJws_InvalidWithReason(string why, byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body);
        var asVerify = why.Contains("UTF-8", StringComparison.Ordinal)
            ? [.. Utf8("""{"qr":"CL1:"""), 0xFF, .. Utf8("\"}")]
            : Utf8("{\"jws\":" + text + ",\"jws\":\"x\"}");

        using var response = await PostAsync(_factory.CreateClient(), "/api/v1/verify", asVerify);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await ApiFactory.JsonAsync(response);
        Assert.Equal("invalid", answer.GetProperty("result").GetString());
        Assert.NotEmpty(answer.GetProperty("reasons").EnumerateArray());
    }

    private long Certificates()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_factory.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM certificates";
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await http.PostAsync(path, content);
    }

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
