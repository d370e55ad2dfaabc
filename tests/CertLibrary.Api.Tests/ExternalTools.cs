using System.Diagnostics;
using System.Text;

namespace CertLibrary.Api.Tests;

/// <summary>Runs tools nobody on the team wrote (poppler, node + npm packages in tests/interop) and returns their output.</summary>
internal static class ExternalTools
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(
        string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in time; stderr: {await error}");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>The text of a PDF as <c>pdftotext</c> (poppler-utils) reads it.</summary>
    public static async Task<string> PdfTextAsync(byte[] pdf, string directory)
    {
        var file = Path.Combine(directory, Guid.NewGuid().ToString("N") + ".pdf");
        await File.WriteAllBytesAsync(file, pdf);
        try
        {
            var (exit, output, error) = await RunAsync("pdftotext", ["-enc", "UTF-8", file, "-"]);
            Assert.True(exit == 0, "pdftotext: " + error);
            return output;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Decodes the QR in a PNG with npm jsQR (tests/interop/qr-decode.mjs): an independent decoder, for interop checks.</summary>
    public static async Task<string> DecodeQrAsync(string png)
    {
        var interop = InteropDirectory();
        var (exit, output, error) = await RunAsync("node", [Path.Combine(interop, "qr-decode.mjs"), png], interop);
        Assert.True(exit == 0, "jsQR: " + error);
        return output;
    }

    /// <summary>Runs a script of tests/interop with node, JSON on stdin, and parses the JSON it prints.</summary>
    public static async Task<System.Text.Json.JsonElement> NodeJsonAsync(string script, string stdinJson)
    {
        var interop = InteropDirectory();
        var (exit, output, error) = await RunAsync("node", [Path.Combine(interop, script)], interop, stdin: stdinJson);
        Assert.True(exit == 0, $"node {script}: {error}");
        return System.Text.Json.JsonDocument.Parse(output).RootElement.Clone();
    }

    public static string InteropDirectory()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("CERTLIB_TEST_INTEROP");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        return Path.Combine(RepositoryRoot(), "tests", "interop");
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CertLibrary.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found: run the tests from the repository.");
    }
}
