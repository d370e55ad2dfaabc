using System.Data.Common;
using System.Text.Json;
using CertLibrary.CertStore.Model;
using CertLibrary.Data;
using Dapper;

namespace CertLibrary.CertStore.OneNumber;

/// <summary>Dapper implementation of the one-number stores on SQLite and PostgreSQL (portable SQL).</summary>
internal sealed class SqlOneNumberStore(ICertLibraryDatabase database) : IServiceItemStore, IConsentStore, IAccessLogStore
{
    private const string ConsentColumns = "id, department_code, type_codes, service_item, expires_at, created_at, withdrawn_at";
    private const string AccessColumns = "id, accessed_at, action, department_code, client_id, purpose, service_item, certificate_ids, result";

    public async Task<ServiceItem?> FindAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var document = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT document FROM service_items WHERE code = @code", new { code }, cancellationToken: cancellationToken));
        return document is null ? null : Deserialize<ServiceItem>(document);
    }

    public async Task<IReadOnlyList<ServiceItem>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT document FROM service_items ORDER BY code", cancellationToken: cancellationToken));
        return [.. documents.Select(Deserialize<ServiceItem>)];
    }

    public async Task<bool> AddAsync(ServiceItem item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO service_items (code, document, updated_at) VALUES (@code, {database.Json("document")}, @now) ON CONFLICT (code) DO NOTHING",
            new { code = item.Code, document = Serialize(item), now }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> ReplaceAsync(ServiceItem item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE service_items SET document = {database.Json("document")}, updated_at = @now WHERE code = @code",
            new { code = item.Code, document = Serialize(item), now }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> DeleteAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM service_items WHERE code = @code", new { code }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> IsConsentRequiredAsync(string holderKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool?>(new CommandDefinition(
            "SELECT consent_required FROM holder_settings WHERE holder_key = @holderKey", new { holderKey }, cancellationToken: cancellationToken)) ?? false;
    }

    public async Task SetConsentRequiredAsync(string holderKey, bool required, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO holder_settings (holder_key, consent_required, updated_at) VALUES (@holderKey, @required, @now) " +
            "ON CONFLICT (holder_key) DO UPDATE SET consent_required = excluded.consent_required, updated_at = excluded.updated_at",
            new { holderKey, required, now }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<Consent>> ListAsync(string holderKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            $"SELECT {ConsentColumns} FROM consents WHERE holder_key = @holderKey ORDER BY created_at DESC, id", new { holderKey }, cancellationToken: cancellationToken));
        var list = new List<Consent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new Consent(
                reader.GetString(0),
                reader.GetString(1),
                Deserialize<string[]>(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return list;
    }

    public async Task AddAsync(string holderKey, Consent consent, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO consents (holder_key, {ConsentColumns}) VALUES (@holderKey, @Id, @DepartmentCode, @typeCodes, @ServiceItem, @ExpiresAt, @CreatedAt, NULL)",
            new { holderKey, consent.Id, consent.DepartmentCode, typeCodes = Serialize(consent.TypeCodes), consent.ServiceItem, consent.ExpiresAt, consent.CreatedAt },
            cancellationToken: cancellationToken));
    }

    public async Task<bool> WithdrawAsync(string holderKey, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE consents SET withdrawn_at = @now WHERE holder_key = @holderKey AND id = @id AND withdrawn_at IS NULL",
            new { holderKey, id, now }, cancellationToken: cancellationToken)) == 1;
    }

    public Task AppendAsync(string holderKey, AccessLogEntry entry, CancellationToken cancellationToken) =>
        AppendManyAsync([(holderKey, entry)], cancellationToken);

    /// <summary>
    /// Appends several entries atomically: on PostgreSQL one INSERT of one array per column (a single statement, so one
    /// implicit transaction, committed before this returns; its text is the same for every batch size); elsewhere one
    /// transaction of one prepared single-row INSERT per entry.
    /// </summary>
    public async Task AppendManyAsync(IReadOnlyList<(string HolderKey, AccessLogEntry Entry)> entries, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (database.Dialect == SqlDialect.PostgreSql)
        {
            await AppendByArraysAsync(connection, entries, cancellationToken);
            return;
        }

        // One prepared single-row INSERT run once per entry: SQLite looks bound parameters up by name in a linear list,
        // so a multi-row INSERT of n rows costs O(n²) in name comparisons, and every batch size would be a new statement.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO access_log (holder_key, {AccessColumns}) VALUES (@k, @i, @t, @a, @d, @c, @p, @s, @x, @r)";
        var parameters = "kitadcpsxr".Select(name =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        foreach (var (holderKey, entry) in entries)
        {
            object?[] values = [holderKey, entry.Id, entry.At, entry.Action, entry.DepartmentCode, entry.ClientId, entry.Purpose, entry.ServiceItem, Serialize(entry.CertificateIds), entry.Result];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task AppendByArraysAsync(DbConnection connection, IReadOnlyList<(string HolderKey, AccessLogEntry Entry)> entries, CancellationToken cancellationToken)
    {
        var n = entries.Count;
        var (keys, ids, times, actions, departments, clients, purposes, items, certificates, results) =
            (new string[n], new string[n], new DateTimeOffset[n], new string[n], new string?[n], new string[n], new string?[n], new string?[n], new string[n], new string[n]);
        for (var i = 0; i < n; i++)
        {
            var (holderKey, entry) = entries[i];
            (keys[i], ids[i], times[i], actions[i], departments[i]) = (holderKey, entry.Id, entry.At, entry.Action, entry.DepartmentCode);
            (clients[i], purposes[i], items[i], certificates[i], results[i]) = (entry.ClientId, entry.Purpose, entry.ServiceItem, Serialize(entry.CertificateIds), entry.Result);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO access_log (holder_key, {AccessColumns}) SELECT * FROM unnest(@k, @i, @t, @a, @d, @c, @p, @s, @x, @r)";
        foreach (var (name, value) in new (string, object)[]
            { ("k", keys), ("i", ids), ("t", times), ("a", actions), ("d", departments), ("c", clients), ("p", purposes), ("s", items), ("x", certificates), ("r", results) })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        if (await command.ExecuteNonQueryAsync(cancellationToken) != n)
        {
            throw new InvalidOperationException($"The access log took fewer rows than the {n} sent.");
        }
    }

    public async Task<(IReadOnlyList<AccessLogEntry> Items, long Total)> ListAsync(string holderKey, int offset, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM access_log WHERE holder_key = @holderKey", new { holderKey }, cancellationToken: cancellationToken));
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            $"SELECT {AccessColumns} FROM access_log WHERE holder_key = @holderKey ORDER BY accessed_at DESC, id DESC LIMIT @limit OFFSET @offset",
            new { holderKey, limit, offset }, cancellationToken: cancellationToken));
        var list = new List<AccessLogEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return (list, total);
    }

    private static AccessLogEntry Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetFieldValue<DateTimeOffset>(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        Deserialize<string[]>(reader.GetString(7)),
        reader.GetString(8));

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, CertStoreJson.Options);

    private static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, CertStoreJson.Options)!;
}
