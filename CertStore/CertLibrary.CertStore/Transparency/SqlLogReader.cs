using System.Data.Common;
using System.Globalization;
using System.Text;
using CertLibrary.Data;
using Dapper;

namespace CertLibrary.CertStore.Transparency;

/// <summary>
/// <see cref="ILogReader"/> over the <c>log_state</c>, <c>log_nodes</c> and <c>log_entries</c> tables; one
/// implementation for both dialects. A batch of nodes is one query (an OR-list of primary keys).
/// </summary>
internal sealed class SqlLogReader(ICertLibraryDatabase database) : ILogReader
{
    public async Task<long> GetTreeSizeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT size FROM log_state WHERE id = 1", cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<StoredLogEntry>> GetEntriesAsync(long start, long end, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        end = Math.Min(end, start + ILogReader.MaxEntriesPerPage);
        if (end <= start)
        {
            return [];
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT idx, leaf_input FROM log_entries WHERE idx >= @start AND idx < @end ORDER BY idx";
        AddParameter(command, "start", start);
        AddParameter(command, "end", end);
        var entries = new List<StoredLogEntry>((int)(end - start));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new StoredLogEntry(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), (byte[])reader.GetValue(1)));
        }

        return entries;
    }

    public async ValueTask<byte[]> GetNodeAsync(int level, long index, CancellationToken cancellationToken)
    {
        var nodes = await GetNodesAsync([(level, index)], cancellationToken);
        return nodes.TryGetValue((level, index), out var hash)
            ? hash
            : throw new KeyNotFoundException($"The Merkle node ({level}, {index}) is not stored.");
    }

    public async ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> GetNodesAsync(
        IReadOnlyCollection<(int Level, long Index)> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return new Dictionary<(int Level, long Index), byte[]>();
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await ReadNodesAsync(connection, null, ids, cancellationToken);
    }

    /// <summary>Reads a batch of stored nodes in one query (also used inside the append transaction); missing ids are absent.</summary>
    internal static async Task<Dictionary<(int Level, long Index), byte[]>> ReadNodesAsync(
        DbConnection connection, DbTransaction? transaction, IEnumerable<(int Level, long Index)> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<(int Level, long Index), byte[]>();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new StringBuilder("SELECT level, idx, hash FROM log_nodes WHERE ");
        var i = 0;
        foreach (var (level, index) in ids.Distinct())
        {
            sql.Append(i == 0 ? string.Empty : " OR ").Append(CultureInfo.InvariantCulture, $"(level = @l{i} AND idx = @i{i})");
            AddParameter(command, $"l{i}", level);
            AddParameter(command, $"i{i}", index);
            i++;
        }

        if (i == 0)
        {
            return found;
        }

        command.CommandText = sql.ToString();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var level = Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture);
            var index = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            found[(level, index)] = (byte[])reader.GetValue(2);
        }

        return found;
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
