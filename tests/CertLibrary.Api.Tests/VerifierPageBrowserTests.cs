using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The verifier page (/verify) in real headless Chromium against the API on a loopback Kestrel: photo upload, pasted
/// text, status change seen on the next upload, garbled text, and the camera path through Chromium's fake camera.
/// </summary>
public sealed class VerifierPageBrowserTests : IAsyncLifetime
{
    private readonly KestrelApi _api = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-page-").FullName;
    private HttpClient _civil = null!;

    public async Task InitializeAsync()
    {
        _api.StartServer();
        await DemoSeeder.SeedAsync(_api.Services, TextWriter.Null, default);
        var credentials = await _api.Services.GetRequiredService<ClientManager>().CreateAsync(ApiFactory.CivilAffairs, "browser test", ["certlib.issue", "certlib.use"]);
        _civil = new HttpClient { BaseAddress = new Uri(_api.BaseUrl) };
        _civil.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await ApiFactory.TokenAsync(_civil, credentials));
    }

    public Task DisposeAsync()
    {
        _civil.Dispose();
        _api.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Page_UploadPasteRevokeGarbled_ShowsEachResult()
    {
        var (id, png, text) = await IssueWithQrAsync(); // the PNG and the text are two QRs of one certificate (each QR has its own salt)
        await using var page = await BrowserPage.StartAsync(_api.BaseUrl);

        var uploaded = await page.SendAsync("upload " + png);
        var pasted = await page.SendAsync("paste " + text);
        using (var revoke = await _civil.PostAsJsonAsync($"/api/v1/certificates/{id}/revoke", new { reason = "证件遗失" }))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        var reuploaded = await page.SendAsync("upload " + png);
        var garbled = await page.SendAsync("paste " + text[..40] + "garbled!" + text[48..]);
        var notQr = await page.SendAsync("paste hello");

        Assert.Equal("valid", Result(uploaded));
        Assert.Equal("有效", uploaded.GetProperty("label").GetString());
        Assert.True(uploaded.GetProperty("fontSize").GetDouble() >= 48, "the result is shown large");
        Assert.Equal(id, uploaded.GetProperty("details").GetProperty("证照标识").GetString());
        Assert.Equal("张*三", uploaded.GetProperty("details").GetProperty("持证人").GetString());
        Assert.StartsWith("CL2:", uploaded.GetProperty("text").GetString(), StringComparison.Ordinal); // decoded in the page by jsQR
        Assert.Equal("valid", Result(pasted));
        Assert.Equal("revoked", Result(reuploaded));
        Assert.Equal("无效（已撤销）", reuploaded.GetProperty("label").GetString());
        Assert.Equal("invalid", Result(garbled));
        Assert.Equal("无效", garbled.GetProperty("label").GetString());
        Assert.NotEmpty(garbled.GetProperty("reasons").EnumerateArray());
        Assert.Equal("invalid", Result(notQr));
        Assert.Contains(notQr.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("CL1:", StringComparison.Ordinal));
        foreach (var shown in new[] { uploaded, pasted, reuploaded, garbled, notQr })
        {
            Assert.Empty(shown.GetProperty("errors").EnumerateArray());
        }
    }

    [Fact]
    public async Task Page_PhotoWithoutQr_SaysSo()
    {
        var blank = Path.Combine(_directory, "blank.png");
        await File.WriteAllBytesAsync(blank, new QRCoder.PngByteQRCode(new QRCoder.QRCodeData(1)).GetGraphic(8));
        await using var page = await BrowserPage.StartAsync(_api.BaseUrl);

        var shown = await page.SendAsync("upload " + blank);

        Assert.Equal("no-qr", Result(shown));
        Assert.Equal("未识别到二维码", shown.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Page_FakeCamera_RecognisesQrAndVerifies()
    {
        var (id, png, _) = await IssueWithQrAsync();
        await using var page = await BrowserPage.StartAsync(_api.BaseUrl, "--camera", png);

        var shown = await page.SendAsync("camera");

        Assert.Equal("valid", Result(shown));
        Assert.Equal(id, shown.GetProperty("details").GetProperty("证照标识").GetString());
        Assert.Empty(shown.GetProperty("errors").EnumerateArray());
    }

    private async Task<(string Id, string Png, string Text)> IssueWithQrAsync()
    {
        using var issued = await _civil.PostAsJsonAsync("/api/v1/certificates", ApiFactory.MarriageRequest());
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString()!;
        var png = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".png");
        await File.WriteAllBytesAsync(png, await _civil.GetByteArrayAsync($"/api/v1/certificates/{id}/qr?form=offline"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form=offline");
        request.Headers.Accept.ParseAdd("text/plain");
        using var response = await _civil.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("CL2:", text, StringComparison.Ordinal);
        return (id, png, text);
    }

    private static string? Result(JsonElement shown) => shown.GetProperty("result").GetString();

    /// <summary>tests/interop/verifier-page.mjs: one Chromium page driven by commands on stdin, one JSON line back per command.</summary>
    private sealed class BrowserPage : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _errors;

        private BrowserPage(Process process)
        {
            _process = process;
            _errors = process.StandardError.ReadToEndAsync();
        }

        public static Task<BrowserPage> StartAsync(string baseUrl, params string[] options)
        {
            var interop = ExternalTools.InteropDirectory();
            Assert.True(Directory.Exists(Path.Combine(interop, "node_modules", "playwright-core")), "run `npm ci` in tests/interop");
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = interop,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
                StandardInputEncoding = new UTF8Encoding(false),
            };
            start.ArgumentList.Add(Path.Combine(interop, "verifier-page.mjs"));
            start.ArgumentList.Add(baseUrl);
            foreach (var option in options)
            {
                start.ArgumentList.Add(option);
            }

            return Task.FromResult(new BrowserPage(Process.Start(start)!));
        }

        public async Task<JsonElement> SendAsync(string command)
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line is null)
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Fail($"verifier-page.mjs ended on '{command}': {await _errors}");
            }

            return JsonDocument.Parse(line).RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("quit");
                _process.StandardInput.Close();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
