using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Data;

/// <summary>
/// Applies every registered <see cref="MigrationSource"/> at start-up, once per version, each script in its
/// own transaction together with its <c>schema_migrations</c> row. Safe when several nodes start at once:
/// PostgreSQL serialises them with an advisory lock, SQLite with its write lock.
/// </summary>
public sealed partial class DatabaseMigrator(
    ICertLibraryDatabase database,
    IEnumerable<MigrationSource> sources,
    TimeProvider time,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    private const long AdvisoryLockKey = 0x43_65_72_74_4C_69_62; // "CertLib"

    /// <summary>Applies pending migrations; returns how many scripts ran.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null,
            "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, " +
            "name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (module, version))", cancellationToken);

        var applied = 0;
        foreach (var source in sources.DistinctBy(s => s.Module))
        {
            foreach (var (version, name, sql) in source.Scripts(database.Dialect).OrderBy(s => s.Version))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                if (database.Dialect == SqlDialect.PostgreSql)
                {
                    await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken);
                }

                await using (var check = connection.CreateCommand())
                {
                    check.Transaction = transaction;
                    check.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE module = @m AND version = @v";
                    AddParameter(check, "m", source.Module);
                    AddParameter(check, "v", version);
                    if (Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0)
                    {
                        await transaction.RollbackAsync(cancellationToken);
                        continue;
                    }
                }

                await ExecuteAsync(connection, transaction, sql, cancellationToken);
                await using (var record = connection.CreateCommand())
                {
                    record.Transaction = transaction;
                    record.CommandText = "INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (@m, @v, @n, @t)";
                    AddParameter(record, "m", source.Module);
                    AddParameter(record, "v", version);
                    AddParameter(record, "n", name);
                    AddParameter(record, "t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                LogApplied(logger, source.Module, name);
                applied++;
            }
        }

        return applied;
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => MigrateAsync(cancellationToken);

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Module}/{Name}")]
    private static partial void LogApplied(ILogger logger, string module, string name);
}
