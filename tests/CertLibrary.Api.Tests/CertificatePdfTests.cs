using System.Net;
using System.Net.Http.Json;
using CertLibrary.Api.Pdf;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.Identifiers;
using CertLibrary.QrImages;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The printable certificate (SPEC §8 <c>/pdf</c>): rendered by PDFsharp, rasterised by poppler's pdftoppm, its QR decoded
/// by ZXing.Net (<see cref="QrImageDecoder"/>) and verified through the API; its text read back by pdftotext.
/// </summary>
public sealed class CertificatePdfTests : IAsyncLifetime
{
    private const string DisabilityType = ApiFactory.CivilAffairs + "002";
    private const string PropertyType = ApiFactory.Housing + "001";
    private readonly ApiFactory _factory = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-pdf-").FullName;
    private HttpClient _civil = null!;

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Pdf_QrRasterisedAndDecoded_VerifiesValidThenRevoked()
    {
        var id = await IssueAsync(_civil, ApiFactory.MarriageRequest());

        var pdf = await GetPdfAsync(_civil, $"/api/v1/certificates/{id}/pdf");
        var qr = await DecodePdfQrAsync(pdf);
        var text = await PdfTextAsync(pdf);

        Assert.StartsWith("CL2:", qr, StringComparison.Ordinal);
        using (var symbol = CertLibrary.Api.Apis.QrApi.Encode(qr))
        {
            Assert.InRange(symbol.Version, 1, QrLimits.MaxOfflineVersion); // dual-signed, error correction Q
        }

        Assert.Equal("valid", await VerifyAsync(qr));
        Assert.Contains("结婚证", text, StringComparison.Ordinal);
        Assert.Contains(id, text, StringComparison.Ordinal);
        Assert.Contains("配偶姓名", text, StringComparison.Ordinal);
        Assert.Contains("李四", text, StringComparison.Ordinal);
        Assert.Contains("张小三", text, StringComparison.Ordinal);
        Assert.Contains("1101**********002X", text, StringComparison.Ordinal);
        Assert.Contains("已隐去", text, StringComparison.Ordinal);
        Assert.Contains("民政部", text, StringComparison.Ordinal);
        Assert.Contains(ApiFactory.CivilAffairs, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiFactory.HolderNumber, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiFactory.HolderNumber, System.Text.Encoding.Latin1.GetString(pdf), StringComparison.Ordinal);

        using (var revoke = await _civil.PostAsJsonAsync($"/api/v1/certificates/{id}/revoke", new { reason = "证件遗失" }))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        Assert.Equal("revoked", await VerifyAsync(qr));
        var revokedText = await PdfTextAsync(await GetPdfAsync(_civil, $"/api/v1/certificates/{id}/pdf"));
        Assert.Contains("已撤销", revokedText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pdf_Sm2OfflineType_QrVerifiesValid()
    {
        var id = await IssueAsync(_civil, new
        {
            typeCode = DisabilityType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "D" + Guid.NewGuid().ToString("N")[..8],
            fields = new { category = "肢体残疾", grade = 2 },
        });

        var pdf = await GetPdfAsync(_civil, $"/api/v1/certificates/{id}/pdf");
        var qr = await DecodePdfQrAsync(pdf);
        var text = await PdfTextAsync(pdf);

        Assert.True(CertLibrary.Verification.CoseQr.TryDecode(qr, out var message, out _));
        Assert.Equal(["SM2"], message.Signers.Select(s => s.Algorithm));
        using (var symbol = CertLibrary.Api.Apis.QrApi.Encode(qr))
        {
            Assert.InRange(symbol.Version, 1, QrLimits.MaxSingleSuiteVersion);
        }

        Assert.Equal("valid", await VerifyAsync(qr));
        Assert.Contains("残疾人证", text, StringComparison.Ordinal);
        Assert.Contains("残疾类别", text, StringComparison.Ordinal);
        Assert.Contains("肢体残疾", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pdf_OnlineType_QrIsVerificationUrl()
    {
        var housing = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.issue", "certlib.use");
        var id = await IssueAsync(housing, new
        {
            typeCode = PropertyType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "P" + Guid.NewGuid().ToString("N")[..8],
            fields = new { address = "北京市西城区", area = 88.5, shared = true },
        });

        var pdf = await GetPdfAsync(housing, $"/api/v1/certificates/{id}/pdf");
        var qr = await DecodePdfQrAsync(pdf);
        var text = await PdfTextAsync(pdf);

        Assert.Matches("^http://localhost/v/[A-Za-z0-9_-]{22}$", qr);
        Assert.Equal("valid", await VerifyAsync(qr));
        Assert.Contains("在线核验二维码", text, StringComparison.Ordinal);
        Assert.Contains("面积（平方米）", text, StringComparison.Ordinal);
        Assert.Contains("88.5", text, StringComparison.Ordinal);
        Assert.Contains("共有", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pdf_OtherDepartmentOrNoReadRight_404Or403_AndReadsAreAccessLogged()
    {
        var id = await IssueAsync(_civil, new
        {
            typeCode = DisabilityType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "D" + Guid.NewGuid().ToString("N")[..8],
            fields = new { category = "视力残疾", grade = 1 },
        });
        var housing = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.issue", "certlib.use");
        var verifyOnly = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.verify");

        using var other = await housing.GetAsync($"/api/v1/certificates/{id}/pdf");
        using var forbidden = await verifyOnly.GetAsync($"/api/v1/certificates/{id}/pdf");
        using var anonymous = await _factory.CreateClient().GetAsync($"/api/v1/certificates/{id}/pdf");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/pdf");
        request.Headers.Add("CertLib-Purpose", Uri.EscapeDataString("窗口打印"));
        using var ok = await _civil.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("urn:certlib:problem:not-found", (await ApiFactory.JsonAsync(other)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var log = await _factory.Services.GetRequiredService<OneNumberManager>().ListAccessLogAsync(CitizenId.Parse(ApiFactory.HolderNumber), 1, 100, CancellationToken.None);
        var entry = Assert.Single(log.Value!.Items, e => e.Action == AccessActions.Pdf);
        Assert.Equal(ApiFactory.CivilAffairs, entry.DepartmentCode);
        Assert.Equal("窗口打印", entry.Purpose);
        Assert.Equal([id], entry.CertificateIds);
    }

    [Fact]
    public async Task MyPdf_OwnCertificateOnly()
    {
        var mine = await IssueAsync(_civil, ApiFactory.MarriageRequest());
        var someoneElses = await IssueAsync(_civil, ApiFactory.MarriageRequest(idNumber: "110105198001010016"));
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);

        var pdf = await GetPdfAsync(citizen, $"/api/v1/me/certificates/{mine}/pdf");
        using var other = await citizen.GetAsync($"/api/v1/me/certificates/{someoneElses}/pdf");
        using var department = await _civil.GetAsync($"/api/v1/me/certificates/{mine}/pdf");

        Assert.Equal("valid", await VerifyAsync(await DecodePdfQrAsync(pdf)));
        Assert.Contains(mine, await PdfTextAsync(pdf), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, department.StatusCode);
    }

    [Fact]
    public async Task Pdf_DefaultSettings_AnswersPdf()
    {
        using var factory = new ApiFactory();
        _ = factory.Server;
        await factory.SeedAsync();
        var http = await factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        var id = await IssueAsync(http, ApiFactory.MarriageRequest());

        var pdf = await GetPdfAsync(http, $"/api/v1/certificates/{id}/pdf");

        Assert.Contains(id, await PdfTextAsync(pdf), StringComparison.Ordinal);
    }

    [Fact]
    public void FontCheck_CollectionOrMissing_ExplainsWhy()
    {
        var collection = Path.Combine(_directory, "fake.ttc");
        File.WriteAllBytes(collection, [.. "ttcf"u8, 0, 1, 0, 0, 0, 0, 0, 0]);

        Assert.Contains("collection", PdfFontResolver.Check(collection, out _), StringComparison.Ordinal);
        Assert.Equal("file not found", PdfFontResolver.Check(Path.Combine(_directory, "none.ttf"), out _));
        var error = Assert.Throws<PdfUnavailableException>(() => PdfFontResolver.Locate(collection, null));
        Assert.Contains("CERTLIB_PDF_FONT", error.Message, StringComparison.Ordinal);
        Assert.Equal("1101**********002X", CertificatePdfRenderer.MaskIdNumber(ApiFactory.HolderNumber));
    }

    private static async Task<string> IssueAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/certificates", request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiFactory.JsonAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task<byte[]> GetPdfAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(body));
        Assert.Equal("application/pdf", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("%PDF-"u8.ToArray(), body[..5]);
        return body;
    }

    private async Task<string> DecodePdfQrAsync(byte[] pdf)
    {
        var name = Guid.NewGuid().ToString("N");
        var file = Path.Combine(_directory, name + ".pdf");
        await File.WriteAllBytesAsync(file, pdf);
        var (exit, _, error) = await ExternalTools.RunAsync("pdftoppm", ["-png", "-r", "150", "-singlefile", file, Path.Combine(_directory, name)]);
        Assert.True(exit == 0, "pdftoppm: " + error);
        var (qr, problem) = QrImageDecoder.DecodeFile(Path.Combine(_directory, name + ".png"));
        Assert.True(qr is not null, problem);
        return qr;
    }

    private Task<string> PdfTextAsync(byte[] pdf) => ExternalTools.PdfTextAsync(pdf, _directory);

    private async Task<string> VerifyAsync(string qr)
    {
        using var response = await _factory.CreateClient().PostAsJsonAsync("/api/v1/verify", new { qr });
        return (await ApiFactory.JsonAsync(response)).GetProperty("result").GetString()!;
    }

    private Task<HttpClient> CitizenAsync(string idNumber) => _factory.CitizenClientAsync(idNumber);
}
