using System.Diagnostics;
using System.Text.Json;

namespace CertLibrary.Api.Tests;

/// <summary>
/// Runs a headless-Chromium script of tests/interop (npm playwright-core) and answers its steps: the script writes one
/// JSON line per step (<c>{"step": ..., ...facts}</c>); a non-null answer of <c>onStep</c> goes back as one line on stdin.
/// </summary>
internal static class BrowserScript
{
    public static async Task RunAsync(string script, IEnumerable<string> arguments, Func<string, JsonElement, Task<object?>> onStep)
    {
        var interop = ExternalTools.InteropDirectory();
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = interop,
        };
        start.ArgumentList.Add(Path.Combine(interop, script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            var done = false;
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                using var document = JsonDocument.Parse(line);
                var step = document.RootElement.GetProperty("step").GetString()!;
                if (step == "done")
                {
                    done = true;
                    process.StandardInput.Close();
                }

                var reply = await onStep(step, document.RootElement.Clone());
                if (reply is not null && !done)
                {
                    await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(reply));
                    await process.StandardInput.FlushAsync();
                }
            }

            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0 && done, $"browser script {script} failed: " + await errors);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
