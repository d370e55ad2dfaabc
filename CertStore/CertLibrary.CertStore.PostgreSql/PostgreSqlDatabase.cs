using System.Data.Common;
using System.Net.Sockets;
using CertLibrary.Data;
using Npgsql;

namespace CertLibrary.CertStore.PostgreSql;

internal sealed class PostgreSqlDatabase(NpgsqlDataSource dataSource) : ICertLibraryDatabase, IAsyncDisposable
{
    public SqlDialect Dialect => SqlDialect.PostgreSql;

    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// Transient failures answer 503. Those that mean the server went away or is no longer the primary (a failover:
    /// killed, shut down, demoted to a read-only standby) also drop the pooled connections, which all point at that
    /// server: the next open connects afresh to whichever host is primary now (Target Session Attributes=primary).
    /// </summary>
    public bool IsTransientFailure(Exception exception)
    {
        if (PostgreSqlFailures.IsServerGone(exception))
        {
            dataSource.Clear();
            return true;
        }

        return exception switch
        {
            NpgsqlException { IsTransient: true } => true,
            PostgresException { SqlState: "57P03" or "53300" } => true,
            NpgsqlException { InnerException: TimeoutException } => true,
            _ => false,
        };
    }

    public bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: "23505" };

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}

/// <summary>The errors by which Npgsql reports that the server of a connection is gone or no longer writable.</summary>
internal static class PostgreSqlFailures
{
    /// <summary>
    /// 57P01/57P02 shut down, 25006 read-only transaction (the node was demoted), class 08 connection exceptions, a
    /// broken socket, and a multi-host data source finding no host that is up and primary (during the promotion). Not a
    /// timeout: an exhausted pool is one too, and its connections are fine.
    /// </summary>
    public static bool IsServerGone(Exception exception) => exception switch
    {
        PostgresException { SqlState: "57P01" or "57P02" or "25006" } => true,
        PostgresException { SqlState: var state } => state.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException { InnerException: SocketException or IOException } => true,
        NpgsqlException { InnerException: null or AggregateException } e => e.GetType() == typeof(NpgsqlException),
        _ => false,
    };
}
