using System.Diagnostics;

namespace CertLibrary.OfflineVerifier;

/// <summary>
/// Reads the text of a QR code in a PNG through an external decoder: no QR reader ships with .NET and none is in this
/// project's package feed. The command in <c>CERTLIB_QR_DECODER</c> (run with the image path as its last argument,
/// printing the text; e.g. <c>zbarimg --raw -q</c>) is used when set, else npm jsQR through
/// <c>tests/interop/qr-decode.mjs</c> of a CertLibrary checkout (needs node and <c>npm ci</c> there).
/// </summary>
internal static class QrImageReader
{
    public const string DecoderVariable = "CERTLIB_QR_DECODER";

    /// <summary>The decoded text, or null with the reason (no decoder, or no QR in the image).</summary>
    public static async Task<(string? Text, string? Problem, bool NoDecoder)> ReadAsync(string png)
    {
        if (!File.Exists(png))
        {
            return (null, $"{png} not found", true);
        }

        var command = Environment.GetEnvironmentVariable(DecoderVariable) is { Length: > 0 } configured
            ? configured.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : JsQrCommand();
        if (command is null)
        {
            return (null, $"no QR decoder: set {DecoderVariable} (e.g. \"zbarimg --raw -q\"), or run from a CertLibrary checkout with node and `npm ci` in tests/interop", true);
        }

        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1).Append(Path.GetFullPath(png)))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var text = (await output).Trim();
            return process.ExitCode == 0 && text.Length > 0
                ? (text, null, false)
                : (null, "no QR code found in the image" + ((await error).Trim() is { Length: > 0 } e ? $" ({e.Split('\n')[0]})" : string.Empty), false);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"QR decoder {command[0]} cannot be run: {e.Message}", true);
        }
        catch (TimeoutException)
        {
            return (null, "QR decoder did not answer within 30 s", true);
        }
    }

    private static string[]? JsQrCommand()
    {
        foreach (var origin in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(origin); directory is not null; directory = directory.Parent)
            {
                var script = Path.Combine(directory.FullName, "tests", "interop", "qr-decode.mjs");
                if (File.Exists(script) && Directory.Exists(Path.Combine(directory.FullName, "tests", "interop", "node_modules", "jsqr")))
                {
                    return ["node", script];
                }
            }
        }

        return null;
    }
}
