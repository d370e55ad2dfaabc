using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The offline command-line verifier on files downloaded from the running API: a QR PNG (decoded in process by ZXing.Net), the
/// trust list, status lists, and a log-proof bundle (certificate + signed tree head + inclusion proof).
/// </summary>
public sealed class OfflineVerifierCliApiTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-cli-").FullName;
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
    public async Task Cli_QrPngWithLogProof_ValidAndIncluded_ThenRevoked()
    {
        var (id, png, bundle) = await IssueAsync();
        var lists = await StatusListsAsync(id);
        var trustList = await SaveAsync("trust-list.json", await _factory.CreateClient().GetStringAsync("/api/v1/trust-list"));

        var (exit, output, error) = await CliAsync(["--qr-png", png, "--trust-list", trustList, .. lists, "--log-proof", bundle]);

        Assert.True(exit == 0, output + error);
        var answer = JsonNode.Parse(output)!;
        Assert.Equal("valid", answer["result"]!.GetValue<string>());
        Assert.Equal(id, answer["certificate"]!["id"]!.GetValue<string>());
        Assert.Contains("included in the transparency log", answer["logInclusion"]!.GetValue<string>(), StringComparison.Ordinal);

        using (var revoke = await _civil.PostAsJsonAsync($"/api/v1/certificates/{id}/revoke", new { reason = "证件遗失" }))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        var (revokedExit, revokedOutput, _) = await CliAsync(["--qr-png", png, "--trust-list", trustList, .. await StatusListsAsync(id), "--log-proof", bundle]);

        Assert.Equal(1, revokedExit);
        Assert.Equal("revoked", JsonNode.Parse(revokedOutput)!["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cli_LogProofOfOtherCertificateOrAlteredPath_Invalid()
    {
        var (id, png, _) = await IssueAsync();
        var (_, _, otherBundle) = await IssueAsync();
        var lists = await StatusListsAsync(id);
        var trustList = await SaveAsync("trust-list.json", await _factory.CreateClient().GetStringAsync("/api/v1/trust-list"));
        var (_, _, ownBundle) = await BundleAsync(id);
        var altered = JsonNode.Parse(await File.ReadAllTextAsync(ownBundle))!;
        altered["inclusion"]!["auditPath"] = new JsonArray(Convert.ToBase64String(new byte[32]));
        var alteredBundle = await SaveAsync("altered.json", altered.ToJsonString());

        var (otherExit, otherOutput, _) = await CliAsync(["--qr-png", png, "--trust-list", trustList, .. lists, "--log-proof", otherBundle]);
        var (alteredExit, alteredOutput, _) = await CliAsync(["--qr-png", png, "--trust-list", trustList, .. lists, "--log-proof", alteredBundle]);

        Assert.Equal(1, otherExit);
        Assert.Contains("log proof: the log proof is for certificate", otherOutput, StringComparison.Ordinal);
        Assert.Equal(1, alteredExit);
        Assert.Contains("log proof: the certificate's log entry is not included", alteredOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_PngWithoutQrOrNotAnImageOrMissing_Exit1Or2()
    {
        var blank = Path.Combine(_directory, "blank.png");
        await File.WriteAllBytesAsync(blank, new QRCoder.PngByteQRCode(new QRCoder.QRCodeData(1)).GetGraphic(8));
        var notAnImage = await SaveAsync("not-an-image.png", "CL1:not a picture");
        var trustList = await SaveAsync("trust-list.json", await _factory.CreateClient().GetStringAsync("/api/v1/trust-list"));

        var (blankExit, blankOutput, _) = await CliAsync(["--qr-png", blank, "--trust-list", trustList]);
        var (textExit, textOutput, _) = await CliAsync(["--qr-png", notAnImage, "--trust-list", trustList]);
        var (missingExit, _, missingError) = await CliAsync(["--qr-png", Path.Combine(_directory, "none.png"), "--trust-list", trustList]);

        Assert.Equal(1, blankExit);
        Assert.Contains("no QR code found in the image", blankOutput, StringComparison.Ordinal);
        Assert.Equal(1, textExit);
        Assert.Contains("not an image", textOutput, StringComparison.Ordinal);
        Assert.Equal(2, missingExit);
        Assert.Contains("none.png not found", missingError, StringComparison.Ordinal);
    }

    private async Task<(string Id, string Png, string Bundle)> IssueAsync()
    {
        using var issued = await _civil.PostAsJsonAsync("/api/v1/certificates", ApiFactory.MarriageRequest());
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var id = (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString()!;
        var png = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".png");
        await File.WriteAllBytesAsync(png, await _civil.GetByteArrayAsync($"/api/v1/certificates/{id}/qr?form=offline"));
        var (_, _, bundle) = await BundleAsync(id);
        return (id, png, bundle);
    }

    /// <summary>The bundle a verifier keeps with a certificate: the certificate, a signed tree head and the inclusion proof.</summary>
    private async Task<(JsonNode Certificate, JsonNode TreeHead, string Path)> BundleAsync(string id)
    {
        var certificate = JsonNode.Parse(await _civil.GetStringAsync($"/api/v1/certificates/{id}"))!;
        var http = _factory.CreateClient();
        var head = JsonNode.Parse(await http.GetStringAsync("/api/v1/log/tree-head"))!;
        var proof = JsonNode.Parse(await http.GetStringAsync($"/api/v1/log/proof/inclusion?index={certificate["logIndex"]}&treeSize={head["treeSize"]}"))!;
        var bundle = new JsonObject { ["certificate"] = certificate.DeepClone(), ["treeHead"] = head.DeepClone(), ["inclusion"] = proof.DeepClone() };
        return (certificate, head, await SaveAsync(Guid.NewGuid().ToString("N") + ".json", bundle.ToJsonString()));
    }

    private async Task<string[]> StatusListsAsync(string id)
    {
        var listId = (await ApiFactory.JsonAsync(await _civil.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("statusList").GetProperty("listId").GetString();
        var http = _factory.CreateClient();
        return
        [
            "--status-list", await SaveAsync(Guid.NewGuid().ToString("N") + ".json", await http.GetStringAsync($"/api/v1/status-lists/{listId}")),
            "--status-list", await SaveAsync(Guid.NewGuid().ToString("N") + ".json", await http.GetStringAsync($"/api/v1/status-lists/{listId}?purpose=suspension")),
        ];
    }

    private async Task<string> SaveAsync(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(path, content);
        return path;
    }

    private async Task<(int Exit, string Output, string Error)> CliAsync(string[] args)
    {
        // Run from a directory that is no checkout: the CLI needs nothing beside its own files.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            WorkingDirectory = _directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CertLibrary.OfflineVerifier.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }
}
