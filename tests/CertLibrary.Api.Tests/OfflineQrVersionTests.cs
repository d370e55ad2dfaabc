using System.Net.Http.Json;
using CertLibrary.Api.Apis;
using CertLibrary.Signing;
using CertLibrary.Verification;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The QR version of the format-2 offline QR at error correction Q (QRCoder), measured for every demo type that has
/// an offline QR and for a single ES256 signer: dual-signed at most version 16, one suite at most 14 (SPEC §5).
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
    [InlineData(ApiFactory.CivilAffairs + "001", new[] { "SM2", "ES256" }, QrLimits.MaxOfflineVersion)]
    [InlineData(ApiFactory.CivilAffairs + "002", new[] { "SM2" }, QrLimits.MaxSingleSuiteVersion)]
    public async Task OfflineQr_DemoTypes_VersionMeasuredAndBounded(string typeCode, string[] suites, int maxVersion)
    {
        var qr = await OfflineQrAsync(typeCode);

        using var data = QrApi.Encode(qr);

        Assert.True(CoseQr.TryDecode(qr, out var message, out _));
        output.WriteLine($"{typeCode} ({string.Join("+", suites)}): {qr.Length} characters, COSE payload {message.Payload.Length} bytes → version {data.Version}-Q");
        Assert.Equal(suites, message.Signers.Select(s => s.Algorithm));
        Assert.InRange(data.Version, 1, maxVersion);
    }

    [Fact]
    public async Task OfflineQr_SingleEs256_AtMostVersion14()
    {
        var signer = (await _factory.Services.GetRequiredService<KeyManager>().GetSignersAsync(ApiFactory.CivilAffairs, CancellationToken.None)).Single(s => s.Algorithm == "ES256");
        var now = DateTimeOffset.UtcNow;
        var qr = CoseQr.Create(new QrClaims($"1.2.156.3005.2.{ApiFactory.MarriageType}.{ApiFactory.CivilAffairs}.ABCDEFGHIJ0123456789.001.X", ApiFactory.MarriageType,
            ApiFactory.CivilAffairs, "欧阳小明", now, now.AddYears(30), "00000000-0000-0000-0000-000000000000", 131_071), new byte[12], new byte[12], [signer]);

        using var data = QrApi.Encode(qr);

        output.WriteLine($"ES256 only: {qr.Length} characters → version {data.Version}-Q");
        Assert.InRange(data.Version, 1, QrLimits.MaxSingleSuiteVersion);
    }

    private async Task<string> OfflineQrAsync(string typeCode)
    {
        object request = typeCode.EndsWith("002", StringComparison.Ordinal)
            ? new
            {
                typeCode,
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
