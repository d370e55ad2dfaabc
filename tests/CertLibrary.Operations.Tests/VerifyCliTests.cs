using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace CertLibrary.Operations.Tests;

/// <summary><c>certlib verify</c> against a running API process: a format-2 QR as text, as a file and as the PNG the API renders.</summary>
[Collection(ApiProcessCollection.Name)]
public sealed class VerifyCliTests(SqliteApiFixture fixture) : IClassFixture<SqliteApiFixture>
{
    [Fact]
    public async Task Verify_FormatTwoQrAsTextFileOrPng_Exit0Valid()
    {
        var (text, png) = await OfflineQrAsync();
        var file = Path.Combine(fixture.Directory, "qr.txt");
        await File.WriteAllTextAsync(file, text + "\n");

        var (textExit, textOutput) = await Verify("--qr", text);
        var (fileExit, fileOutput) = await Verify("--qr-file", file);
        var (pngExit, pngOutput) = await Verify("--qr-png", png);

        Assert.StartsWith("CL2:", text, StringComparison.Ordinal);
        foreach (var (exit, output) in new[] { (textExit, textOutput), (fileExit, fileOutput), (pngExit, pngOutput) })
        {
            Assert.True(exit == 0, output);
            var answer = JsonDocument.Parse(output).RootElement;
            Assert.Equal("valid", answer.GetProperty("result").GetString());
            Assert.Equal("张*三", answer.GetProperty("certificate").GetProperty("holderName").GetString());
        }
    }

    [Fact]
    public async Task Verify_AlteredQrMissingFileOrApiDown_NonZeroWithReason()
    {
        var (text, _) = await OfflineQrAsync();
        var altered = text[..^10] + (text[^10] == '0' ? '1' : '0') + text[^9..];

        var (alteredExit, alteredOutput) = await Verify("--qr", altered);
        var (missingExit, missingOutput) = await Verify("--qr-png", Path.Combine(fixture.Directory, "none.png"));
        var (twiceExit, _) = await Verify("--qr", text, "--qr-file", "x");
        var (downExit, downOutput) = await Cli.RunAsync("verify", "--api", $"http://127.0.0.1:{ApiProcess.FreePort()}/", "--qr", text);

        Assert.True(alteredExit == 4, alteredOutput);
        Assert.Equal("invalid", JsonDocument.Parse(alteredOutput).RootElement.GetProperty("result").GetString());
        Assert.NotEqual(0, JsonDocument.Parse(alteredOutput).RootElement.GetProperty("reasons").GetArrayLength());
        Assert.Equal(1, missingExit);
        Assert.Contains("not found", missingOutput, StringComparison.Ordinal);
        Assert.Equal(1, twiceExit);
        Assert.True(downExit == 3, downOutput);
    }

    private Task<(int Exit, string Output)> Verify(params string[] args) =>
        Cli.RunAsync(["verify", "--api", fixture.Api.BaseAddress.ToString(), .. args]);

    private async Task<(string Text, string Png)> OfflineQrAsync()
    {
        using var http = fixture.Api.Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.Api.TokenAsync(fixture.Client.ClientId, fixture.Client.ClientSecret));
        using var issued = await http.PostAsJsonAsync("api/v1/certificates", new
        {
            typeCode = Deployment.MarriageType,
            holder = new { idNumber = Deployment.Holder(7), name = "张小三" },
            number = "V" + Guid.NewGuid().ToString("N")[..10],
            fields = new { spouseName = "李四", registeredOn = "2020-05-20", registrationOffice = "北京市西城区民政局" },
        });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var id = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/certificates/{id}/qr?form=offline");
        request.Headers.Accept.ParseAdd("text/plain");
        using var text = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        var png = Path.Combine(fixture.Directory, id + ".png");
        await File.WriteAllBytesAsync(png, await http.GetByteArrayAsync($"api/v1/certificates/{id}/qr?form=offline"));
        return (await text.Content.ReadAsStringAsync(), png);
    }
}
