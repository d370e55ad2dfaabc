using Microsoft.Data.Sqlite;
using Npgsql;

namespace CertLibrary.Operations.Tests;

/// <summary>Reads certificate ids and their log indexes straight from a store's tables.</summary>
public static class Stores
{
    public static async Task<Dictionary<string, long>> CertificatesAsync(ApiProcess.Settings settings)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        const string sql = "SELECT id, log_index FROM certificates";
        if (settings.Store == "sqlite")
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = settings.Database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Assert.True(result.TryAdd(reader.GetString(0), reader.GetInt64(1)), "certificate ids are unique");
            }
        }
        else
        {
            await using var connection = new NpgsqlConnection(settings.Database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Assert.True(result.TryAdd(reader.GetString(0), reader.GetInt64(1)), "certificate ids are unique");
            }
        }

        return result;
    }
}
