using System.Globalization;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace CertLibrary.Cli.Backup;

/// <summary>
/// <c>certlib backup --sqlite</c>: a consistent online copy of the embedded database through SQLite's backup API,
/// safe while the service runs (WAL readers do not block writers). The copy holds certificates, the transparency log,
/// identity data and the signing keys, sealed with the master key, which is never part of the copy.
/// </summary>
internal sealed class SqliteBackup(IAnsiConsole console)
{
    public async Task<int> RunAsync(string database, string output, bool overwrite, CancellationToken cancellationToken)
    {
        if (!File.Exists(database))
        {
            console.Line($"No database at {database}.");
            return ExitCodes.InvalidInput;
        }

        if (File.Exists(output) && !overwrite)
        {
            console.Line($"{output} exists; choose another name or add --force.");
            return ExitCodes.InvalidInput;
        }

        var temporary = output + ".partial";
        File.Delete(temporary);
        try
        {
            await using (var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            await using (var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temporary, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString()))
            {
                await source.OpenAsync(cancellationToken);
                await target.OpenAsync(cancellationToken);
                source.BackupDatabase(target);

                // A self-contained single file: no -wal beside it to forget when copying the backup elsewhere.
                await ExecuteAsync(target, "PRAGMA journal_mode=DELETE", cancellationToken);
                var integrity = (string?)await ScalarAsync(target, "PRAGMA integrity_check", cancellationToken);
                if (integrity != "ok")
                {
                    console.Line($"The copy failed SQLite's integrity check: {integrity}. The source may be damaged; nothing was written to {output}.");
                    return ExitCodes.InvalidInput;
                }

                var certificates = await CountAsync(target, "SELECT count(*) FROM certificates", cancellationToken);
                var logSize = await CountAsync(target, "SELECT size FROM log_state WHERE id = 1", cancellationToken);
                var keys = await CountAsync(target, "SELECT count(*) FROM signing_keys", cancellationToken);
                console.Line(string.Create(CultureInfo.InvariantCulture,
                    $"Backed up {database} to {output}: {certificates} certificates, transparency log size {logSize}, {keys} signing keys (sealed)."));
            }

            File.Move(temporary, output, overwrite);
        }
        catch (SqliteException e)
        {
            console.Line($"Backup failed: {e.Message}");
            return ExitCodes.InvalidInput;
        }
        finally
        {
            File.Delete(temporary);
        }

        var keyFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(database))!, "master.key");
        console.Line("The backup does not contain the master key; without it the sealed data and signing keys cannot be read. " +
            (File.Exists(keyFile) ? $"Back up {keyFile} separately (not next to this backup)." : "Back up CERTLIB_MASTER_KEY separately."));
        return ExitCodes.Ok;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<long> CountAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken) =>
        Convert.ToInt64(await ScalarAsync(connection, sql, cancellationToken) ?? 0L, CultureInfo.InvariantCulture);
}
