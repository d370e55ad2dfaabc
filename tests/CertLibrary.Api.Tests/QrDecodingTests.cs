using System.Net;

namespace CertLibrary.Api.Tests;

/// <summary>The QR images the API renders, decoded by an independent decoder (npm jsQR), and the verifier page.</summary>
public sealed class QrDecodingTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-qr-").FullName;

    public async Task InitializeAsync()
    {
        _ = _factory.Server;
        await _factory.SeedAsync();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("offline")]
    [InlineData("online")]
    public async Task QrPng_DecodedByJsQr_VerifiesValid(string form)
    {
        var http = await _factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.issue", "certlib.use");
        using var issued = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", ApiFactory.MarriageRequest());
        var id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString()!;
        using var png = await http.GetAsync($"/api/v1/certificates/{id}/qr?form={form}");
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        var path = Path.Combine(_directory, form + ".png");
        await File.WriteAllBytesAsync(path, await png.Content.ReadAsByteArrayAsync());

        var text = await ExternalTools.DecodeQrAsync(path);
        using var verified = await ApiFactory.PostJsonAsync(_factory.CreateClient(), "/api/v1/verify", new { qr = text });
        var answer = await ApiFactory.JsonAsync(verified);

        Assert.StartsWith(form == "offline" ? "CL2:" : "http://localhost/v/", text, StringComparison.Ordinal);
        Assert.Equal("valid", answer.GetProperty("result").GetString());
        Assert.Equal(id, answer.GetProperty("certificate").GetProperty("id").GetString());
    }

    [Fact]
    public async Task VerifierPage_ServedWithDecoderAndForm()
    {
        var http = _factory.CreateClient();

        using var page = await http.GetAsync("/verify");
        using var script = await http.GetAsync("/verify/jsQR.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/verify/jsQR.js", html, StringComparison.Ordinal);
        Assert.Contains("/api/v1/verify", html, StringComparison.Ordinal);
        Assert.Contains("getUserMedia", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("jsQR", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OverRateLimit_429()
    {
        using var fresh = new ApiFactory();
        // WithWebHostBuilder runs ApiFactory's configuration again (new random master key): give it a database of its own.
        using var limited = fresh.WithWebHostBuilder(b => b
            .UseSetting("CERTLIB_VERIFY_PER_MINUTE", "3")
            .UseSetting("CERTLIB_SQLITE_PATH", Path.Combine(_directory, "limited.db"))
            .UseSetting("CERTLIB_MASTER_KEY", Convert.ToBase64String(new byte[32])));
        var http = limited.CreateClient();
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 5; i++)
        {
            using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/verify", new { qr = "CL1:x" });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }
}
