using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CertLibrary.Signing;

namespace CertLibrary.Bench;

/// <summary>
/// Signature suites in-process, one thread, against <c>openssl speed</c> run right after on the same machine
/// (also one thread). Both sides sign a short message, as <c>openssl speed</c> does.
/// </summary>
internal static partial class CryptoBench
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(BenchOptions options, ISignatureSuite suite, string openSslAlgorithm, string openSslLine, string goal, Action<string> log)
    {
        var keys = suite.GenerateKeyPair();
        var signer = suite.CreateSigner(keys.Pkcs8PrivateKey);
        var data = new byte[32];
        Random.Shared.NextBytes(data);
        var signature = signer.Sign(data);
        if (!suite.Verify(keys.SubjectPublicKeyInfo, data, signature))
        {
            throw new InvalidOperationException($"{suite.Algorithm} does not verify its own signature.");
        }

        var signs = Measure(() => signer.Sign(data), options);
        var verifies = Measure(() => suite.Verify(keys.SubjectPublicKeyInfo, data, signature), options);
        var (openSslSign, openSslVerify, command) = await OpenSslSpeedAsync(openSslAlgorithm, openSslLine, options.OpenSslSeconds, log);
        var ceilingName = $"`{command}`";
        return
        [
            new Figure($"{suite.Algorithm} sign, 1 thread", signs, "ops/s", openSslSign, ceilingName, goal, "Signing library in-process vs OpenSSL libcrypto"),
            new Figure($"{suite.Algorithm} verify, 1 thread", verifies, "ops/s", openSslVerify, ceilingName, goal, "Signing library in-process vs OpenSSL libcrypto"),
        ];
    }

    private static double Measure(Func<object> operation, BenchOptions options)
    {
        var warmUpEnd = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * Math.Min(0.2, options.CryptoDuration.TotalSeconds / 2));
        while (Stopwatch.GetTimestamp() < warmUpEnd)
        {
            _ = operation();
        }

        var watch = Stopwatch.StartNew();
        var count = 0L;
        while (watch.Elapsed < options.CryptoDuration)
        {
            _ = operation();
            count++;
        }

        return count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Runs <c>openssl speed -seconds N algorithm</c> and reads sign/s and verify/s from its summary line.</summary>
    private static async Task<(double? Sign, double? Verify, string Command)> OpenSslSpeedAsync(string algorithm, string line, int seconds, Action<string> log)
    {
        var command = $"openssl speed -seconds {seconds} {algorithm}";
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "speed", "-seconds", seconds.ToString(CultureInfo.InvariantCulture), algorithm })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(4 * seconds + 10));
            await process.WaitForExitAsync(timeout.Token);
            var summary = (await stdout).Split('\n').FirstOrDefault(l => l.Contains(line, StringComparison.Ordinal));
            _ = await stderr;
            var match = summary is null ? null : SpeedLine().Match(summary);
            if (match is null || !match.Success)
            {
                log($"openssl: no '{line}' line in the output of {command}");
                return (null, null, command + " (no result)");
            }

            return (double.Parse(match.Groups["sign"].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups["verify"].Value, CultureInfo.InvariantCulture), command);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            log($"openssl: {command} failed: {e.Message}");
            return (null, null, command + " (failed)");
        }
    }

    /// <summary>The two last numbers of e.g. <c>256 bits SM2 (CurveSM2)   0.0002s   0.0002s   4108.9   4641.4</c>.</summary>
    [GeneratedRegex(@"(?<sign>[0-9.]+)\s+(?<verify>[0-9.]+)\s*$")]
    private static partial Regex SpeedLine();
}
