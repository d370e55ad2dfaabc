using System.Security.Cryptography;
using Npgsql;

namespace CertLibrary.Testing;

/// <summary>Where the real servers started by scripts/test.sh are. A missing variable fails the test: these tests never pretend.</summary>
public static class TestEnvironment
{
    public static string Postgres => Required("CERTLIB_TEST_POSTGRES");

    public static string Redis => Required("CERTLIB_TEST_REDIS");

    public static string RedisServer => Required("CERTLIB_TEST_REDIS_SERVER");

    public static string PgBin => Required("CERTLIB_TEST_PG_BIN");

    public static byte[] NewMasterKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>A loopback port nothing listens on (yet), for a test server or a peer that is down.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Closes pooled SQLite connections and deletes a test host's data folder (best effort: a file still held open is left to the OS).</summary>
    public static void DeleteSqliteDirectory(string directory)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    /// <summary>Creates an empty database for one test class and returns its connection string.</summary>
    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        var name = "certlib_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(Postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name }.ConnectionString;
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with ./scripts/test.sh, which starts PostgreSQL and Redis.");
}
