using CertLibrary.CertStore.PostgreSql;
using CertLibrary.Testing;
using Dapper;
using Npgsql;

namespace CertLibrary.CertStore.Tests;

/// <summary>
/// What a node sees of a PostgreSQL failover (SPEC §10): its pooled connections' server gone, no host primary while
/// the standby is promoted, a former primary now read-only. Each is transient (503 with Retry-After), and each that
/// means the server went away drops the pool so that the next request connects to the new primary.
/// </summary>
public sealed class PostgreSqlFailoverTests
{
    // Npgsql itself drops the pool when a connection breaks (this passes without the store's Clear too): the
    // failover relies on it, since every pooled connection to a killed primary is broken.
    [Fact]
    public async Task IsTransientFailure_PooledConnectionsTerminated_TransientAndTheNextQueryConnectsAfresh()
    {
        await using var database = new PostgreSqlDatabase(NpgsqlDataSource.Create(await TestEnvironment.CreatePostgresDatabaseAsync()));
        var pooled = new List<System.Data.Common.DbConnection>();
        for (var i = 0; i < 3; i++)
        {
            pooled.Add(await database.OpenConnectionAsync(CancellationToken.None));
        }

        var pids = new List<int>();
        foreach (var connection in pooled)
        {
            pids.Add(await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()"));
            await connection.DisposeAsync(); // back to the pool, idle
        }

        await using (var admin = new NpgsqlConnection(TestEnvironment.Postgres))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM unnest(@pids) AS pid", new { pids = pids.ToArray() });
        }

        var failure = await Record.ExceptionAsync(() => PidAsync(database));
        Assert.NotNull(failure);
        Assert.True(database.IsTransientFailure(failure), failure.ToString());

        var fresh = await PidAsync(database);
        Assert.DoesNotContain(fresh, pids);
    }

    [Fact]
    public async Task IsTransientFailure_NoHostIsWhatTheNodeAsksFor_Transient()
    {
        // A multi-host node during a promotion: the standby is not primary yet, the old primary is gone.
        var csb = new NpgsqlConnectionStringBuilder(TestEnvironment.Postgres) { TargetSessionAttributes = "standby" };
        csb.Host = $"{csb.Host}:{csb.Port},localhost:{csb.Port}";
        await using var database = new PostgreSqlDatabase(NpgsqlDataSource.Create(csb.ConnectionString));

        var failure = await Record.ExceptionAsync(() => PidAsync(database));

        Assert.IsType<NpgsqlException>(failure);
        Assert.True(database.IsTransientFailure(failure), failure.ToString());
    }

    [Fact]
    public async Task IsTransientFailure_WriteOnAReadOnlyServer_Transient()
    {
        // A former primary demoted to standby answers writes with 25006.
        var csb = new NpgsqlConnectionStringBuilder(await TestEnvironment.CreatePostgresDatabaseAsync()) { Options = "-c default_transaction_read_only=on" };
        await using var database = new PostgreSqlDatabase(NpgsqlDataSource.Create(csb.ConnectionString));
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);

        var failure = await Record.ExceptionAsync(() => connection.ExecuteAsync("CREATE TABLE written (id int)"));

        Assert.Equal("25006", Assert.IsType<PostgresException>(failure).SqlState);
        Assert.True(database.IsTransientFailure(failure));
    }

    [Fact]
    public async Task IsTransientFailure_PooledConnectionsOnADemotedServer_ClearsThePoolAndTheNextWriteConnectsAfresh()
    {
        // Pooled sessions that became read-only (their server was demoted) are not broken: only the store can drop them.
        var csb = new NpgsqlConnectionStringBuilder(await TestEnvironment.CreatePostgresDatabaseAsync()) { NoResetOnClose = true };
        await using var database = new PostgreSqlDatabase(NpgsqlDataSource.Create(csb.ConnectionString));
        var pooled = new List<System.Data.Common.DbConnection>();
        for (var i = 0; i < 3; i++)
        {
            pooled.Add(await database.OpenConnectionAsync(CancellationToken.None));
        }

        foreach (var connection in pooled)
        {
            await connection.ExecuteAsync("SET SESSION default_transaction_read_only = on");
            await connection.DisposeAsync();
        }

        var failure = await Record.ExceptionAsync(() => CreateTableAsync(database, "first"));
        Assert.Equal("25006", Assert.IsType<PostgresException>(failure).SqlState);
        Assert.True(database.IsTransientFailure(failure));

        await CreateTableAsync(database, "second");
    }

    [Fact]
    public async Task IsTransientFailure_ConstraintViolation_NotTransient()
    {
        await using var database = new PostgreSqlDatabase(NpgsqlDataSource.Create(await TestEnvironment.CreatePostgresDatabaseAsync()));
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync("CREATE TABLE once (id int PRIMARY KEY); INSERT INTO once VALUES (1)");

        var failure = await Record.ExceptionAsync(() => connection.ExecuteAsync("INSERT INTO once VALUES (1)"));

        Assert.False(database.IsTransientFailure(failure!));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT 1"));
    }

    private static async Task CreateTableAsync(PostgreSqlDatabase database, string name)
    {
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync($"CREATE TABLE {name} (id int)");
    }

    private static async Task<int> PidAsync(PostgreSqlDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
    }
}
