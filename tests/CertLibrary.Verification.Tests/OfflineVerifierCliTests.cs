using System.Diagnostics;
using System.Text;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;

namespace CertLibrary.Verification.Tests;

/// <summary>The command-line verifier on files only: a trust list, status lists and QR text built with real keys.</summary>
public sealed class OfflineVerifierCliTests : IDisposable
{
    private const string Department = "11100000000013338W";
    private const string Type = Department + "001";
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-offline-").FullName;
    private readonly SignatureSuites _suites = new([new Es256Suite(), new Sm2Suite()]);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(KeyManager Keys, string TrustList)> TrustListAsync(TimeSpan validity)
    {
        var keys = new KeyManager(new InMemorySigningKeyStore(), new PlainProtector(), _suites, TimeProvider.System);
        await keys.GetSignersAsync(Department, CancellationToken.None);
        var path = Path.Combine(_directory, "trust-list.json");
        await File.WriteAllTextAsync(path, (await TrustListBuilder.BuildAsync(keys, validity)).ToJsonString());
        return (keys, path);
    }

    private async Task<string> StatusListAsync(KeyManager keys, string purpose, params int[] set)
    {
        var bits = new byte[StatusListCredential.MinimumLength / 8];
        foreach (var index in set)
        {
            StatusListCredential.SetBit(bits, index);
        }

        var now = DateTimeOffset.UtcNow;
        var credential = StatusListCredential.Build("https://example/api/v1/status-lists/1", "https://example", "1", purpose, bits, now, now.AddDays(1));
        var signers = await keys.GetSignersAsync(SigningKeyRecord.PlatformOwner, CancellationToken.None);
        var signed = Jws.SignGeneral(Encoding.UTF8.GetBytes(credential.ToJsonString()), signers, StatusListCredential.JwsType);
        var path = Path.Combine(_directory, $"status-{purpose}.json");
        await File.WriteAllTextAsync(path, signed.ToJsonString());
        return path;
    }

    private static QrClaims Claims(int index)
    {
        var now = DateTimeOffset.UtcNow;
        return new QrClaims($"1.2.156.3005.2.{Type}.{Department}.ABCDEFGHIJ0123456789.001.X", Type, Department, "张小三", now.AddDays(-1), now.AddYears(1), "1", index);
    }

    // Format 2 (what is issued): signed by the department's keys of the suites named, comma-separated, in order.
    private static async Task<string> QrAsync(KeyManager keys, string suites, int index, JwsSigner? replaceLast = null)
    {
        var all = await keys.GetSignersAsync(Department, CancellationToken.None);
        var signers = suites.Split(',').Select(suite => all.Single(s => s.Algorithm == suite)).ToList();
        if (replaceLast is not null)
        {
            signers[^1] = replaceLast;
        }

        var (salt, binding) = HolderBindingKdf.Create("11010519491231002X");
        return CoseQr.Create(Claims(index), salt, binding, signers);
    }

    [Theory]
    [InlineData("SM2,ES256")]
    [InlineData("ES256")]
    [InlineData("SM2")]
    public async Task Cli_ValidQr_Exit0Valid(string suites)
    {
        var (keys, trustList) = await TrustListAsync(TimeSpan.FromHours(24));
        var revocation = await StatusListAsync(keys, StatusListCredential.Revocation, 5);

        var (exit, output, _) = await RunAsync("--qr", await QrAsync(keys, suites, 7), "--trust-list", trustList, "--status-list", revocation);

        Assert.Equal(0, exit);
        Assert.Contains("\"result\": \"valid\"", output, StringComparison.Ordinal);
        Assert.Contains("张*三", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_FormatOneQr_StillValid()
    {
        var (keys, trustList) = await TrustListAsync(TimeSpan.FromHours(24));
        var revocation = await StatusListAsync(keys, StatusListCredential.Revocation, 5);
        var signer = (await keys.GetSignersAsync(Department, CancellationToken.None)).Single(s => s.Algorithm == "ES256");

        var (exit, output, _) = await RunAsync("--qr", OfflineQr.Create(Claims(7), "11010519491231002X", signer), "--trust-list", trustList, "--status-list", revocation);

        Assert.Equal(0, exit);
        Assert.Contains("\"result\": \"valid\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_RevokedBitSet_Exit1Revoked()
    {
        var (keys, trustList) = await TrustListAsync(TimeSpan.FromHours(24));
        var revocation = await StatusListAsync(keys, StatusListCredential.Revocation, 7);
        var suspension = await StatusListAsync(keys, StatusListCredential.Suspension);
        var qrFile = Path.Combine(_directory, "qr.txt");
        await File.WriteAllTextAsync(qrFile, await QrAsync(keys, "SM2,ES256", 7));

        var (exit, output, _) = await RunAsync("--qr-file", qrFile, "--trust-list", trustList, "--status-list", revocation, "--status-list", suspension);

        Assert.Equal(1, exit);
        Assert.Contains("\"result\": \"revoked\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_TrustListPastNextUpdate_ValidAndSaysStale()
    {
        var (keys, trustList) = await TrustListAsync(TimeSpan.FromHours(24));
        var revocation = await StatusListAsync(keys, StatusListCredential.Revocation);
        var later = DateTimeOffset.UtcNow.AddDays(2).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        var (exit, output, error) = await RunAsync("--qr", await QrAsync(keys, "SM2,ES256", 1), "--trust-list", trustList, "--status-list", revocation, "--now", later);

        Assert.Equal(0, exit);
        Assert.Contains("trust list stale since", output, StringComparison.Ordinal);
        Assert.Contains("stale since", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_TamperedQrGarbageSignerOrUsageError_NonZero()
    {
        var (keys, trustList) = await TrustListAsync(TimeSpan.FromHours(24));
        var qr = await QrAsync(keys, "SM2,ES256", 1);
        var es256 = (await keys.GetSignersAsync(Department, CancellationToken.None)).Single(s => s.Algorithm == "ES256");
        var other = new Es256Suite().GenerateKeyPair();
        var garbage = await QrAsync(keys, "SM2,ES256", 1, new JwsSigner("ES256", es256.KeyId, new Es256Suite().CreateSigner(other.Pkcs8PrivateKey)));

        var (tamperedExit, tamperedOutput, _) = await RunAsync("--qr", qr[..^4] + "AAAA", "--trust-list", trustList);
        var (garbageExit, garbageOutput, _) = await RunAsync("--qr", garbage, "--trust-list", trustList);
        var (usageExit, _, _) = await RunAsync("--qr", qr);

        Assert.Equal(1, tamperedExit);
        Assert.Contains("\"result\": \"invalid\"", tamperedOutput, StringComparison.Ordinal);
        Assert.Equal(1, garbageExit);
        Assert.Contains("\"result\": \"invalid\"", garbageOutput, StringComparison.Ordinal);
        Assert.Contains(JwsReasons.SignatureMismatch, garbageOutput, StringComparison.Ordinal);
        Assert.Equal(2, usageExit);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CertLibrary.OfflineVerifier.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    private sealed class PlainProtector : IKeyProtector
    {
        public byte[] Protect(ReadOnlySpan<byte> plaintext, string keyId) => plaintext.ToArray();

        public byte[] Unprotect(ReadOnlySpan<byte> protectedData, string keyId) => protectedData.ToArray();
    }
}
