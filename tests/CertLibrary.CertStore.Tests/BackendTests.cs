using System.Diagnostics;
using System.Text;
using CertLibrary.Testing;
using Npgsql;

namespace CertLibrary.CertStore.Tests;

public sealed class SqliteCertificateStoreTests : CertificateStoreContract
{
    protected override string Backend => "sqlite";

    protected override Task<string> CreateLocationAsync() =>
        Task.FromResult(Path.Combine(Path.GetTempPath(), "certlib-tests", Guid.NewGuid().ToString("N"), "certlib.db"));

    protected override async Task<string> DumpAsync()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(Location)!))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory);
            text.Append(Encoding.Latin1.GetString(memory.ToArray()));
        }

        return text.ToString();
    }
}

public sealed class PostgreSqlCertificateStoreTests : CertificateStoreContract
{
    protected override string Backend => "postgresql";

    protected override Task<string> CreateLocationAsync() => TestEnvironment.CreatePostgresDatabaseAsync();

    protected override async Task<string> DumpAsync()
    {
        var csb = new NpgsqlConnectionStringBuilder(Location);
        var start = new ProcessStartInfo(Path.Combine(TestEnvironment.PgBin, "pg_dump"))
        {
            ArgumentList = { "-h", csb.Host!, "-p", csb.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", csb.Username!, "-d", csb.Database!, "--inserts" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("certificates", output, StringComparison.Ordinal);
        return output;
    }
}
