using System.Net;
using System.Net.Http.Json;
using CertLibrary.Api.Apis;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Model;
using CertLibrary.QrImages;
using CertLibrary.Signing;
using CertLibrary.Verification;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The QR version at error correction Q of every certificate type of the demo seed (<c>--seed-demo</c>), measured on
/// QRs issued through <c>GET …/qr</c>: format 2 dual-signed at most version 16, one suite at most 14 (SPEC §5); the PNG
/// the API renders carries that version and reads back (ZXing) to the same text.
/// </summary>
public sealed class OfflineQrVersionTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Signatures and salts are random: several certificates per type, so that the bound holds with margin, not by luck.
    private const int CertificatesPerType = 4;
    private readonly ApiFactory _factory = new();

    public static TheoryData<string> DemoTypes => [.. DemoSeeder.Types.Select(t => t.Code)];

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

    [Theory]
    [MemberData(nameof(DemoTypes))]
    public async Task Qr_EveryDemoType_VersionWithinSpecAtQ(string typeCode)
    {
        var type = DemoSeeder.Types.Single(t => t.Code == typeCode);
        var http = await _factory.ClientForAsync(type.Issuers[0], "certlib.issue", "certlib.use");
        var form = type.QrMode == "online" ? "online" : "offline";
        var maxVersion = form == "online" || type.QrSuites.Count == 1 ? QrLimits.MaxSingleSuiteVersion : QrLimits.MaxOfflineVersion;

        for (var i = 0; i < CertificatesPerType; i++)
        {
            var id = await IssueAsync(http, type);
            var text = await QrTextAsync(http, id, form);
            using var data = QrApi.Encode(text);
            var (pngVersion, decoded) = await QrPngAsync(http, id, form);

            output.WriteLine($"{type.Name} {typeCode} {(form == "online" ? "online URL" : string.Join("+", type.QrSuites))}: {text.Length} characters → version {data.Version}-Q, PNG version {pngVersion}");
            Assert.InRange(data.Version, 1, maxVersion);
            Assert.InRange(pngVersion, 1, maxVersion);
            Assert.NotNull(decoded);
            if (form == "offline")
            {
                // Each call signs afresh (ECDSA and SM2 signatures are randomised): the PNG is another text of the same certificate.
                foreach (var qr in new[] { text, decoded })
                {
                    Assert.True(CoseQr.TryDecode(qr, out var message, out _));
                    Assert.Equal(type.QrSuites, message.Signers.Select(s => s.Algorithm));
                    Assert.Equal(id, CoseQr.ReadClaims(message.Payload, out _)!.Id);
                }
            }
            else
            {
                Assert.StartsWith("http://localhost/v/", decoded, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task OfflineQr_SingleEs256_AtMostVersion14()
    {
        var signer = (await _factory.Services.GetRequiredService<KeyManager>().GetSignersAsync(ApiFactory.CivilAffairs, CancellationToken.None)).Single(s => s.Algorithm == "ES256");
        var now = DateTimeOffset.UtcNow;
        var id = CertLibrary.Identifiers.CertificateId.NewRandom(
            CertLibrary.Identifiers.CertificateTypeCode.Parse(ApiFactory.MarriageType), CertLibrary.Identifiers.CreditCode.Parse(ApiFactory.CivilAffairs)).ToString();
        var qr = CoseQr.Create(new QrClaims(id, ApiFactory.MarriageType, ApiFactory.CivilAffairs, "欧阳小明", now, now.AddYears(30), "1", 131_071),
            new byte[12], new byte[12], [signer]);

        using var data = QrApi.Encode(qr);

        output.WriteLine($"ES256 only: {qr.Length} characters → version {data.Version}-Q");
        Assert.InRange(data.Version, 1, QrLimits.MaxSingleSuiteVersion);
    }

    private static async Task<string> IssueAsync(HttpClient http, CertificateType type)
    {
        var fields = type.Fields.ToDictionary(f => f.Name, f => f.Type switch
        {
            "date" => (object)"2024-05-20",
            "number" => 2,
            "boolean" => true,
            _ => "北京市西城区",
        });
        using var issued = await http.PostAsJsonAsync("/api/v1/certificates", new
        {
            typeCode = type.Code,
            // Organisation types name their holder by credit code (no holder binding, name unmasked in the QR).
            holder = type.HolderKind == HolderKinds.Organization
                ? (object)new { creditCode = DemoSeeder.DemoCompanyCode, name = DemoSeeder.DemoCompanyName }
                : new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "N" + Guid.NewGuid().ToString("N")[..10],
            fields,
        });
        var body = await ApiFactory.JsonAsync(issued);
        Assert.True(issued.StatusCode == HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetString()!;
    }

    private static async Task<string> QrTextAsync(HttpClient http, string id, string form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form={form}");
        request.Headers.Accept.ParseAdd("text/plain");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<(int Version, string? Text)> QrPngAsync(HttpClient http, string id, string form)
    {
        using var response = await http.GetAsync($"/api/v1/certificates/{id}/qr?form={form}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var version = int.Parse(response.Headers.GetValues("X-Qr-Version").Single(), System.Globalization.CultureInfo.InvariantCulture);
        return (version, QrImageDecoder.Decode(await response.Content.ReadAsByteArrayAsync()).Text);
    }
}
