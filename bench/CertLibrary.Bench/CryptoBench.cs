using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;

namespace CertLibrary.Bench;

/// <summary>
/// Signature suites in-process, one thread, against <c>openssl speed</c> run right after on the same machine
/// (also one thread). Both sides sign a short message, as <c>openssl speed</c> does.
/// </summary>
internal static partial class CryptoBench
{
    /// <summary>Sign/s and verify/s of <paramref name="suite"/>, one thread, on a 32-byte message.</summary>
    public static (double Sign, double Verify) Measure(BenchOptions options, ISignatureSuite suite)
    {
        var keys = suite.GenerateKeyPair();
        var signer = suite.CreateSigner(keys.Pkcs8PrivateKey);
        return Measure(options, d => signer.Sign(d), _ => (d, s) => suite.Verify(keys.SubjectPublicKeyInfo, d, s));
    }

    /// <summary>
    /// SM2 through BouncyCastle.Cryptography, the path <see cref="Sm2Suite"/> falls back to without libcrypto 3; kept as a
    /// figure so that the gain of the native path stays visible.
    /// </summary>
    public static (double Sign, double Verify) MeasureManagedSm2(BenchOptions options)
    {
        var keys = new Sm2Suite().GenerateKeyPair();
        var signer = Sm2Suite.CreateManagedSigner(keys.Pkcs8PrivateKey);
        return Measure(options, d => signer.Sign(d), _ => (d, s) => Sm2Suite.VerifyManaged(keys.SubjectPublicKeyInfo, d, s));
    }

    public static string Sm2Path => LibCryptoSm2.IsAvailable
        ? "Sm2Suite on system libcrypto.so.3 (P/Invoke, EVP + distid)"
        : "Sm2Suite on BouncyCastle.Cryptography (libcrypto.so.3 unavailable)";

    public static string Es256Path => Es256Suite.Native.IsAvailable
        ? "Es256Suite: signing on the BCL ECDsa (OpenSSL underneath), verification on system libcrypto.so.3 (P/Invoke, EVP, prepared context per key)"
        : "Es256Suite on the BCL ECDsa alone (libcrypto.so.3 path unavailable)";

    public static IReadOnlyList<Figure> Figures(string name, (double Sign, double Verify) ours, OpenSslSpeed ceiling, string goal, string note) =>
    [
        new Figure($"{name} sign, 1 thread", ours.Sign, "ops/s", ceiling.Sign, $"`{ceiling.Command}`", goal, note),
        new Figure($"{name} verify, 1 thread", ours.Verify, "ops/s", ceiling.Verify, $"`{ceiling.Command}`", goal, note),
    ];

    private static (double Sign, double Verify) Measure(BenchOptions options, Func<byte[], byte[]> sign, Func<byte[], Func<byte[], byte[], bool>> verifierFor)
    {
        var data = new byte[32];
        Random.Shared.NextBytes(data);
        var signature = sign(data);
        var verify = verifierFor(data);
        if (!verify(data, signature))
        {
            throw new InvalidOperationException("A suite does not verify its own signature.");
        }

        return (Measure(() => sign(data), options), Measure(() => verify(data, signature), options));
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

    /// <summary>
    /// Runs <c>openssl speed -elapsed -seconds N algorithm</c> and reads sign/s and verify/s from its summary line.
    /// <c>-elapsed</c> makes OpenSSL divide by wall-clock time, as our side does; without it, it divides by its own CPU
    /// time and looks faster whenever other processes share the cores.
    /// </summary>
    public static async Task<OpenSslSpeed> OpenSslSpeedAsync(string algorithm, string line, int seconds, Action<string> log)
    {
        var command = $"openssl speed -elapsed -seconds {seconds} {algorithm}";
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "speed", "-elapsed", "-seconds", seconds.ToString(CultureInfo.InvariantCulture), algorithm })
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
                return new OpenSslSpeed(null, null, command + " (no result)");
            }

            return new OpenSslSpeed(double.Parse(match.Groups["sign"].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups["verify"].Value, CultureInfo.InvariantCulture), command);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            log($"openssl: {command} failed: {e.Message}");
            return new OpenSslSpeed(null, null, command + " (failed)");
        }
    }

    /// <summary>The two last numbers of e.g. <c>256 bits SM2 (CurveSM2)   0.0002s   0.0002s   4108.9   4641.4</c>.</summary>
    [GeneratedRegex(@"(?<sign>[0-9.]+)\s+(?<verify>[0-9.]+)\s*$")]
    private static partial Regex SpeedLine();
}

/// <summary>Sign/s and verify/s read from <c>openssl speed</c>, and the command that produced them.</summary>
internal sealed record OpenSslSpeed(double? Sign, double? Verify, string Command);
