using System.Globalization;
using System.Text;
using CertLibrary.TransparencyLog;
using Microsoft.Data.Sqlite;

namespace CertLibrary.TransparencyLogBench;

/// <summary>
/// The log tables of the certificate store (log_entries, log_nodes, log_state) on a SQLite file, written and read
/// the way SqlCertificateStore and SqlLogReader do: one batch node query per append or proof.
/// </summary>
internal sealed class SqliteMerkleLog : IMerkleNodeReader, IDisposable
{
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;

    public SqliteMerkleLog(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;" +
            "CREATE TABLE log_entries (idx BIGINT PRIMARY KEY, leaf_input BLOB NOT NULL, created_at TEXT NOT NULL);" +
            "CREATE TABLE log_nodes (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx));" +
            "CREATE TABLE log_state (id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL);" +
            "INSERT INTO log_state (id, size) VALUES (1, 0);");
    }

    public long Size { get; private set; }

    /// <summary>Appends <paramref name="leaves"/> in one transaction, as a batch issue does.</summary>
    public async Task AppendAsync(IEnumerable<byte[]> leaves)
    {
        _transaction = _connection.BeginTransaction();
        using var entry = Command("INSERT INTO log_entries (idx, leaf_input, created_at) VALUES (@i, @l, '2026-01-01T00:00:00Z')");
        var entryIndex = entry.Parameters.Add("@i", SqliteType.Integer);
        var entryLeaf = entry.Parameters.Add("@l", SqliteType.Blob);
        using var node = Command("INSERT INTO log_nodes (level, idx, hash) VALUES (@v, @i, @h)");
        var nodeLevel = node.Parameters.Add("@v", SqliteType.Integer);
        var nodeIndex = node.Parameters.Add("@i", SqliteType.Integer);
        var nodeHash = node.Parameters.Add("@h", SqliteType.Blob);
        foreach (var leaf in leaves)
        {
            entryIndex.Value = Size;
            entryLeaf.Value = leaf;
            await entry.ExecuteNonQueryAsync();
            foreach (var created in await MerkleAppender.ComputeNewNodesAsync(Size, MerkleHash.Leaf(leaf), this, default))
            {
                nodeLevel.Value = created.Level;
                nodeIndex.Value = created.Index;
                nodeHash.Value = created.Hash;
                await node.ExecuteNonQueryAsync();
            }

            Size++;
        }

        using var state = Command("UPDATE log_state SET size = @s WHERE id = 1");
        state.Parameters.AddWithValue("@s", Size);
        await state.ExecuteNonQueryAsync();
        _transaction.Commit();
        _transaction.Dispose();
        _transaction = null;
    }

    public async ValueTask<byte[]> GetNodeAsync(int level, long index, CancellationToken cancellationToken) =>
        (await GetNodesAsync([(level, index)], cancellationToken))[(level, index)];

    public async ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> GetNodesAsync(
        IReadOnlyCollection<(int Level, long Index)> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<(int Level, long Index), byte[]>(ids.Count);
        if (ids.Count == 0)
        {
            return found;
        }

        var sql = new StringBuilder("SELECT level, idx, hash FROM log_nodes WHERE ");
        using var command = Command(string.Empty);
        var i = 0;
        foreach (var (level, index) in ids)
        {
            sql.Append(i == 0 ? string.Empty : " OR ").Append(CultureInfo.InvariantCulture, $"(level = @l{i} AND idx = @i{i})");
            command.Parameters.AddWithValue($"@l{i}", level);
            command.Parameters.AddWithValue($"@i{i}", index);
            i++;
        }

        command.CommandText = sql.ToString();
        using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[(reader.GetInt32(0), reader.GetInt64(1))] = (byte[])reader.GetValue(2);
        }

        return found;
    }

    public void Dispose()
    {
        _transaction?.Dispose();
        _connection.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        return command;
    }
}
