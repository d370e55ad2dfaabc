using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.QrImages;
using Spectre.Console;

namespace CertLibrary.Cli.Verify;

/// <summary>
/// <c>certlib verify</c>: sends the text of a QR (format 2 <c>CL2:</c>, format 1 <c>CL1:</c> or an online <c>/v/</c> URL), given
/// as text, as a file or as an image decoded here, to <c>POST /api/v1/verify</c> and prints the answer.
/// </summary>
internal sealed class QrVerification(IAnsiConsole console, HttpMessageHandler? handler)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<int> RunAsync(Uri api, string? qr, FileInfo? qrFile, FileInfo? qrPng, CancellationToken cancellationToken)
    {
        if ((qr is null ? 0 : 1) + (qrFile is null ? 0 : 1) + (qrPng is null ? 0 : 1) != 1)
        {
            console.Line("Give the QR exactly once: --qr TEXT, --qr-file PATH or --qr-png PATH.");
            return ExitCodes.InvalidInput;
        }

        var text = qr;
        if (qrFile is not null || qrPng is not null)
        {
            var file = (qrFile ?? qrPng)!;
            if (!file.Exists)
            {
                console.Line($"{file.FullName} not found.");
                return ExitCodes.InvalidInput;
            }

            if (qrFile is not null)
            {
                text = (await File.ReadAllTextAsync(file.FullName, cancellationToken)).Trim();
            }
            else
            {
                var decoded = QrImageDecoder.DecodeFile(file.FullName);
                if (decoded.Text is null)
                {
                    console.Line($"--qr-png: {decoded.Problem}.");
                    return ExitCodes.InvalidInput;
                }

                text = decoded.Text;
            }
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = api;
        http.Timeout = TimeSpan.FromSeconds(30);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync("api/v1/verify", new { qr = text }, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            console.Line($"{api} could not be reached: {e.Message}");
            return ExitCodes.Unavailable;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? answer = null;
            try
            {
                answer = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                // reported below with the status
            }

            if (!response.IsSuccessStatusCode || answer?["result"]?.GetValueKind() != JsonValueKind.String)
            {
                console.Line($"{api} answered {(int)response.StatusCode}: {(body.Length > 500 ? body[..500] + "…" : body)}");
                return (int)response.StatusCode is >= 400 and < 500 and not 429 ? ExitCodes.InvalidInput : ExitCodes.Unavailable;
            }

            console.Line(answer.ToJsonString(Indented));
            return answer["result"]!.GetValue<string>() == "valid" ? ExitCodes.Ok : ExitCodes.NotValid;
        }
    }
}
