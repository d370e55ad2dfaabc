using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CertLibrary.Api.Apis;
using CertLibrary.Signing;
using Xunit.Abstractions;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The QR version of the offline QR at error correction Q, measured for both suites, and the proof that SPEC §5's
/// claims cannot fit version 15-Q (292 bytes in byte mode) whatever the encoding of the JWS around them.
/// </summary>
public sealed class OfflineQrVersionTests(ITestOutputHelper output) : IAsyncLifetime
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

    [Theory]
    [InlineData("ES256")]
    [InlineData("SM2")]
    public async Task OfflineQr_DemoTypes_VersionMeasuredAndBounded(string algorithm)
    {
        var qr = await OfflineQrAsync(algorithm);
        var parts = qr["CL1:".Length..].Split('.');
        var header = Encoding.UTF8.GetString(Base64Url.Decode(parts[0]));
        var payload = Encoding.UTF8.GetString(Base64Url.Decode(parts[1]));

        using var data = QrApi.Encode(qr);

        output.WriteLine($"{algorithm}: {qr.Length} characters = 4 prefix + {parts[0].Length} header + {parts[1].Length} payload ({Encoding.UTF8.GetByteCount(payload)} bytes JSON) + {parts[2].Length} signature + 2 dots → version {data.Version}-Q");
        output.WriteLine("header " + header);
        output.WriteLine("payload " + payload);
        Assert.Equal(algorithm, JsonNode.Parse(header)!["alg"]!.GetValue<string>());
        Assert.DoesNotContain(" ", payload, StringComparison.Ordinal);
        Assert.Equal(86, parts[2].Length); // 64-byte r‖s for both suites
        Assert.InRange(data.Version, 1, QrLimits.MaxOfflineVersion);
    }

    [Fact]
    public void SmallestSpecCompliantQr_ExceedsVersion15AtQ()
    {
        // Every claim SPEC §5 mandates at its smallest legitimate size: a 20-character serial in the id (SPEC §2),
        // a one-character masked name, 16-byte binding and salt, 10-digit times, list "1", a one-digit index;
        // the header reduced to alg + kid (typ dropped); a 64-byte signature.
        const string Type = ApiFactory.CivilAffairs + "001";
        var payload = new JsonObject
        {
            ["id"] = $"1.2.156.3005.2.{Type}.{ApiFactory.CivilAffairs}.ABCDEFGHIJ0123456789.001.X",
            ["t"] = Type,
            ["iss"] = ApiFactory.CivilAffairs,
            ["n"] = "*",
            ["hb"] = Base64Url.Encode(new byte[16]),
            ["hs"] = Base64Url.Encode(new byte[16]),
            ["nbf"] = 1_800_000_000,
            ["exp"] = 1_900_000_000,
            ["sl"] = new JsonObject { ["l"] = "1", ["i"] = 7 },
        }.ToJsonString();
        var header = """{"alg":"SM2","kid":"AAAAAAAAAAA"}""";
        var smallest = "CL1:" + Base64Url.Encode(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload)) + "." + Base64Url.Encode(new byte[64]);
        var withoutRedundant = new JsonObject
        {
            ["id"] = $"1.2.156.3005.2.{Type}.{ApiFactory.CivilAffairs}.ABCDEFGHIJ0123456789.001.X",
            ["hb"] = Base64Url.Encode(new byte[16]),
            ["hs"] = Base64Url.Encode(new byte[16]),
            ["exp"] = 1_900_000_000,
            ["sl"] = new JsonObject { ["l"] = "1", ["i"] = 7 },
        }.ToJsonString();
        var stripped = "CL1:" + Base64Url.Encode(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(withoutRedundant)) + "." + Base64Url.Encode(new byte[64]);

        using var minimal = QrApi.Encode(smallest);
        using var bare = QrApi.Encode(stripped);

        output.WriteLine($"smallest SPEC-compliant: {smallest.Length} characters → version {minimal.Version}-Q; id + binding + expiry + slot only: {stripped.Length} characters → version {bare.Version}-Q");
        Assert.True(minimal.Version > 15, $"{smallest.Length} characters fit version {minimal.Version}");
        Assert.True(bare.Version > 15, $"{stripped.Length} characters fit version {bare.Version}");
    }

    private async Task<string> OfflineQrAsync(string algorithm)
    {
        object request = algorithm == "SM2"
            ? new
            {
                typeCode = ApiFactory.CivilAffairs + "002",
                holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
                number = "D" + Guid.NewGuid().ToString("N")[..8],
                fields = new { category = "肢体残疾", grade = 2 },
            }
            : ApiFactory.MarriageRequest();
        using var issued = await _civil.PostAsJsonAsync("/api/v1/certificates", request);
        var id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString()!;
        using var qr = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form=offline");
        qr.Headers.Accept.ParseAdd("text/plain");
        using var response = await _civil.SendAsync(qr);
        return await response.Content.ReadAsStringAsync();
    }
}
