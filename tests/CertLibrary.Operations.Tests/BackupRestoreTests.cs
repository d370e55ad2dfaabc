using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using CertLibrary.Testing;
using CertLibrary.TransparencyLog;
using Npgsql;

namespace CertLibrary.Operations.Tests;

/// <summary>
/// Back up a running deployment, restore into a fresh database, start the API on it with the same master key:
/// every certificate still verifies (the revoked one as revoked), the log's root and old proofs are unchanged, and
/// the next issue appends where the log left off.
/// </summary>
[Collection(ApiProcessCollection.Name)]
public sealed class BackupRestoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-backup-").FullName;

    [Fact]
    public async Task PgDumpAndRestore_IntoNewDatabase_EverythingVerifiesAndTheLogContinues()
    {
        var original = ApiProcess.Settings.Postgres(await TestEnvironment.CreatePostgresDatabaseAsync());
        await BackUpAndRestoreAsync(original, async () =>
        {
            var source = new NpgsqlConnectionStringBuilder(original.Database);
            var dump = Path.Combine(_directory, "certlib.dump");
            await RunAsync("pg_dump", "-Fc", "-h", source.Host!, "-p", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", source.Username!,
                "-d", source.Database!, "-f", dump);
            var restored = await TestEnvironment.CreatePostgresDatabaseAsync();
            await RunAsync("pg_restore", "--no-owner", "--exit-on-error", "-h", source.Host!, "-p", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-U", source.Username!, "-d", new NpgsqlConnectionStringBuilder(restored).Database!, dump);
            return original with { Database = restored, Port = ApiProcess.FreePort() };
        });
    }

    [Fact]
    public async Task CertlibBackupSqlite_WhileRunning_RestoredCopyVerifiesAndTheLogContinues()
    {
        var original = ApiProcess.Settings.Sqlite(Path.Combine(_directory, "live", "certlib.db"));
        await BackUpAndRestoreAsync(original, async () =>
        {
            var backup = Path.Combine(_directory, "certlib-backup.db");
            var (exit, output) = await Cli.RunAsync("backup", "--sqlite", original.Database, "--out", backup);
            Assert.True(exit == 0, output);
            Assert.Contains("does not contain the master key", output, StringComparison.Ordinal);

            var (again, againOutput) = await Cli.RunAsync("backup", "--sqlite", original.Database, "--out", backup);
            Assert.Equal(1, again);
            Assert.Contains("exists", againOutput, StringComparison.Ordinal);

            // Restore = put the file where CERTLIB_SQLITE_PATH points, on a stopped service.
            var restored = Path.Combine(_directory, "restored", "certlib.db");
            Directory.CreateDirectory(Path.GetDirectoryName(restored)!);
            File.Copy(backup, restored);
            return original with { Database = restored, Port = ApiProcess.FreePort() };
        });
    }

    private static async Task BackUpAndRestoreAsync(ApiProcess.Settings original, Func<Task<ApiProcess.Settings>> backUpAndRestore)
    {
        IssuingClient client;
        var certificates = new List<JsonElement>();
        (long Size, byte[] Root) before, after;
        List<string> proof;
        ApiProcess.Settings restored;
        await using (var api = await ApiProcess.StartAsync(original))
        {
            client = await Deployment.SetUpAsync(api, original);
            using var http = await IssuerAsync(api, client);
            for (var i = 0; i < 3; i++)
            {
                certificates.Add(await IssueAsync(http, 7000 + i));
            }

            before = await TransparencyLogCheck.TreeHeadAsync(http);
            for (var i = 3; i < 5; i++)
            {
                certificates.Add(await IssueAsync(http, 7000 + i));
            }

            await ApiProcess.PostAsync(http, $"api/v1/certificates/{certificates[1].GetProperty("id").GetString()}/revoke", new { reason = "证件遗失" });
            after = await TransparencyLogCheck.TreeHeadAsync(http);
            proof = await ConsistencyAsync(http, before.Size, after.Size);
            Assert.True(MerkleVerifier.VerifyConsistency(before.Size, after.Size, before.Root, after.Root, [.. proof.Select(Convert.FromBase64String)]));

            restored = await backUpAndRestore(); // online: the API keeps running during the backup
        }

        await using var node = await ApiProcess.StartAsync(restored);
        using var onRestored = await IssuerAsync(node, client);

        for (var i = 0; i < certificates.Count; i++)
        {
            var verdict = await ApiProcess.PostAsync(onRestored, "api/v1/verify", new { jws = certificates[i].GetProperty("signature") });
            Assert.Equal(i == 1 ? "revoked" : "valid", verdict.GetProperty("result").GetString());
        }

        var head = await TransparencyLogCheck.TreeHeadAsync(onRestored);
        Assert.Equal(after.Size, head.Size);
        Assert.Equal(after.Root, head.Root);
        Assert.Equal(proof, await ConsistencyAsync(onRestored, before.Size, after.Size));

        var next = await IssueAsync(onRestored, 7100);
        Assert.Equal(after.Size, next.GetProperty("logIndex").GetInt64());
        var grown = await TransparencyLogCheck.TreeHeadAsync(onRestored);
        Assert.Equal(after.Size + 1, grown.Size);
        var extension = await ConsistencyAsync(onRestored, after.Size, grown.Size);
        Assert.True(MerkleVerifier.VerifyConsistency(after.Size, grown.Size, after.Root, grown.Root, [.. extension.Select(Convert.FromBase64String)]));
        var fresh = await ApiProcess.PostAsync(onRestored, "api/v1/verify", new { jws = next.GetProperty("signature") });
        Assert.Equal("valid", fresh.GetProperty("result").GetString());
        await TransparencyLogCheck.AssertMatchesAsync(onRestored, await Stores.CertificatesAsync(restored));
    }

    private static async Task<HttpClient> IssuerAsync(ApiProcess api, IssuingClient client)
    {
        var http = api.Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await api.TokenAsync(client.ClientId, client.ClientSecret));
        return http;
    }

    private static Task<JsonElement> IssueAsync(HttpClient http, int holder) => ApiProcess.PostAsync(http, "api/v1/certificates", new
    {
        typeCode = Deployment.MarriageType,
        holder = new { idNumber = Deployment.Holder(holder), name = "张三" },
        number = $"J-BACKUP-{holder}",
        fields = new { spouseName = "李四", registeredOn = "2001-05-20", registrationOffice = "北京市西城区民政局" },
    });

    private static async Task<List<string>> ConsistencyAsync(HttpClient http, long first, long second)
    {
        var proof = await ApiProcess.JsonAsync(await http.GetAsync($"api/v1/log/proof/consistency?first={first}&second={second}"));
        return [.. proof.GetProperty("consistency").EnumerateArray().Select(p => p.GetString()!)];
    }

    private static async Task RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(TestEnvironment.PgBin, tool)) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} exited {process.ExitCode}: {await stderr}{await stdout}");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
