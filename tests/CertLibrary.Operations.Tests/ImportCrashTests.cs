using System.Diagnostics;
using System.Text.Json;
using CertLibrary.Cli.Import;
using CertLibrary.Testing;

namespace CertLibrary.Operations.Tests;

/// <summary>
/// kill -9 of the API in the middle of a large import, restart, re-run the importer: every row is exactly one
/// certificate, and certificates and transparency-log entries match one to one.
/// </summary>
[Collection(ApiProcessCollection.Name)]
public sealed class ImportCrashTests : IDisposable
{
    private const int Rows = 5000;
    private const int BatchSize = 200;
    private const int Batches = Rows / BatchSize;
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-crash-").FullName;

    [Fact]
    public async Task KillApiDuringImport_Postgres_RerunIssuesEachRowExactlyOnce() =>
        await KillDuringImportAsync(ApiProcess.Settings.Postgres(await TestEnvironment.CreatePostgresDatabaseAsync()));

    [Fact]
    public async Task KillApiDuringImport_Sqlite_RerunIssuesEachRowExactlyOnce() =>
        await KillDuringImportAsync(ApiProcess.Settings.Sqlite(Path.Combine(_directory, "certlib.db")));

    private async Task KillDuringImportAsync(ApiProcess.Settings settings)
    {
        var file = Deployment.WriteLegacyCsv(_directory, Rows);
        var statePath = file + ".certlib-state.json";
        IssuingClient client;
        int answeredAtKill;
        await using (var api = await ApiProcess.StartAsync(settings))
        {
            client = await Deployment.SetUpAsync(api, settings);
            var import = Cli.RunAsync(Args(api, client, file, "--retries", "2"));

            answeredAtKill = await WaitForAnsweredBatchesAsync(statePath, 2, import);
            api.KillHard();

            var (exit, output) = await import;
            Assert.True(exit == 3, $"the importer reports the API unreachable (exit 3):\n{output}");
            Assert.Contains("Re-run the same command to resume", output, StringComparison.Ordinal);
        }

        var afterKill = await ReadStateAsync(statePath);
        Assert.InRange(afterKill, answeredAtKill, Batches - 1); // killed in the middle, not after the end

        await using (var restarted = await ApiProcess.StartAsync(settings))
        {
            var (exit, output) = await Cli.RunAsync(Args(restarted, client, file));
            Assert.True(exit == 0, output);
            Assert.Contains($"Resuming: {afterKill} of {Batches} batches were answered", output, StringComparison.Ordinal);
            Assert.Contains($"{Rows} certificates issued, 0 rows refused", output, StringComparison.Ordinal);

            // Each row is exactly one certificate: 5,000 lines, 5,000 distinct ids, and no other certificate stored.
            var results = ResultsFile.Read(file + ".certlib-results.csv");
            Assert.Equal(Enumerable.Range(2, Rows), results.Keys.Order());
            var ids = results.Values.OfType<string>().ToHashSet(StringComparer.Ordinal);
            Assert.Equal(Rows, ids.Count);
            var stored = await Stores.CertificatesAsync(settings);
            Assert.Equal(Rows, stored.Count);
            Assert.True(ids.SetEquals(stored.Keys), "the stored certificates are exactly the ones the importer reported");

            // Every certificate has its log entry at its logIndex, and every issue entry has its certificate.
            using var http = restarted.Client();
            await TransparencyLogCheck.AssertMatchesAsync(http, stored);
        }
    }

    private static string[] Args(ApiProcess api, IssuingClient client, string file, params string[] more) =>
        ["import", file, "--api", api.BaseAddress.ToString(), "--client-id", client.ClientId, "--client-secret", client.ClientSecret, "--batch-size", BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture), .. more];

    private static async Task<int> WaitForAnsweredBatchesAsync(string statePath, int atLeast, Task import)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            Assert.False(import.IsCompleted, "the import ended before the API was killed");
            var answered = await ReadStateAsync(statePath);
            if (answered >= atLeast)
            {
                return answered;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("the import did not answer two batches in 3 minutes");
    }

    private static async Task<int> ReadStateAsync(string statePath)
    {
        try
        {
            await using var stream = new FileStream(statePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var state = await JsonDocument.ParseAsync(stream);
            return state.RootElement.GetProperty("completed").EnumerateObject().Count();
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
