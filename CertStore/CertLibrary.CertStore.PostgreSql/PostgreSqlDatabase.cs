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

    public bool IsTransientFailure(Exception exception) => exception switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" or "08006" or "08001" } => true,
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        _ => false,
    };

    public bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: "23505" };

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
