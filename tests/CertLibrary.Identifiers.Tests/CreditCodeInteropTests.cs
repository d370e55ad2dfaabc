using System.Diagnostics;
using System.Security.Cryptography;

namespace CertLibrary.Identifiers.Tests;

/// <summary>
/// The GB 32100 arithmetic checked by an independent implementation (tests/interop/credit-code.mjs, written from the
/// standard's description, weights derived as 3^i mod 31) against SPEC §2's published codes and random ones.
/// </summary>
public sealed class CreditCodeInteropTests
{
    [Fact]
    public async Task CheckCharacter_IndependentImplementation_AgreesOnPublishedAndRandomCodes()
    {
        // Arrange: the published examples of SPEC §2, one altered, and 300 random bodies.
        string[] published = ["91350100M000100Y43", "11100000000013338W", "11110000000021135M"];
        var bodies = Enumerable.Range(0, 300).Select(_ => new string([.. Enumerable.Range(0, 17).Select(_ => CreditCode.Alphabet[RandomNumberGenerator.GetInt32(31)])])).ToArray();

        // Act
        var answers = await RunAsync([.. published, "91350100M000100Y44", .. bodies]);

        // Assert
        Assert.Equal(["valid", "valid", "valid", "invalid"], answers[..4]);
        Assert.Equal(bodies.Select(b => CreditCode.Create(b).ToString()), answers[4..]);
        Assert.All(published, code => Assert.True(CreditCode.TryParse(code, out _, out _)));
    }

    private static async Task<string[]> RunAsync(string[] codes)
    {
        var interop = Environment.GetEnvironmentVariable("CERTLIB_TEST_INTEROP") is { Length: > 0 } fromEnvironment ? fromEnvironment : FindInterop();
        var start = new ProcessStartInfo("node") { WorkingDirectory = interop, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("credit-code.mjs");
        foreach (var code in codes)
        {
            start.ArgumentList.Add(code);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, await error);
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static string FindInterop()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "interop", "credit-code.mjs");
            if (File.Exists(candidate))
            {
                return Path.GetDirectoryName(candidate)!;
            }
        }

        throw new InvalidOperationException("tests/interop/credit-code.mjs not found; set CERTLIB_TEST_INTEROP.");
    }
}
