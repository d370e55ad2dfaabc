using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using CertLibrary.CertStore.Model;
using CertLibrary.Data;
using CertLibrary.TransparencyLog;
using Dapper;

namespace CertLibrary.CertStore.Stores;

/// <summary>The certificate store over <see cref="ICertLibraryDatabase"/>; one implementation, two dialects.</summary>
internal sealed class SqlCertificateStore(ICertLibraryDatabase database) : ICertificateStore
{
    internal const int StatusListCapacity = 131_072;

    private const string Columns =
        "holder_key, id, type_code, issuer_code, version, status, status_reason, issued_at, valid_from, valid_until, " +
        "supersedes, superseded_by, status_list_id, status_index, log_index, sealed_document, updated_at, status_reason_code, status_reason_sealed, holder_kind";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<StoredCertificate?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await ReadCertificatesAsync(connection, null, $"SELECT {Columns} FROM certificates WHERE id = @id", new { id }, cancellationToken)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<StoredCertificate>> ListByHolderAsync(string holderKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await ReadCertificatesAsync(connection, null,
            $"SELECT {Columns} FROM certificates WHERE holder_key = @holderKey ORDER BY issued_at, id", new { holderKey }, cancellationToken);
    }

    public async Task<ICertificateWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken) => await BeginLoggedWriteAsync(cancellationToken);

    /// <summary>The write transaction itself, for other stores whose writes must land with their log entry (signing keys).</summary>
    internal async Task<WriteTransaction> BeginLoggedWriteAsync(CancellationToken cancellationToken)
    {
        var connection = await database.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // The log-state row lock serialises writers across nodes: one total order of log entries.
            var lockSql = database.Dialect == SqlDialect.PostgreSql
                ? "SELECT size FROM log_state WHERE id = 1 FOR UPDATE"
                : "SELECT size FROM log_state WHERE id = 1";
            var size = await connection.ExecuteScalarAsync<long>(new CommandDefinition(lockSql, transaction: transaction, cancellationToken: cancellationToken));
            return new WriteTransaction(database, connection, transaction, size);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<Department?> FindDepartmentAsync(string code, CancellationToken cancellationToken) =>
        (await QueryDepartmentsAsync("SELECT code, name, created_at FROM departments WHERE code = @code", new { code }, cancellationToken)).FirstOrDefault();

    public Task<IReadOnlyList<Department>> ListDepartmentsAsync(CancellationToken cancellationToken) =>
        QueryDepartmentsAsync("SELECT code, name, created_at FROM departments ORDER BY code", null, cancellationToken);

    public async Task<bool> AddDepartmentAsync(Department department, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO departments (code, name, created_at) VALUES (@Code, @Name, @CreatedAt) ON CONFLICT (code) DO NOTHING",
            new { department.Code, department.Name, CreatedAt = department.CreatedAt.ToUniversalTime() }, cancellationToken: cancellationToken));
        return rows == 1;
    }

    public async Task<CertificateType?> FindTypeAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var document = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            database.Dialect == SqlDialect.PostgreSql ? "SELECT document::text FROM certificate_types WHERE code = @code" : "SELECT document FROM certificate_types WHERE code = @code",
            new { code }, cancellationToken: cancellationToken));
        return document is null ? null : JsonSerializer.Deserialize<CertificateType>(document, Json);
    }

    public async Task<IReadOnlyList<CertificateType>> ListTypesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            database.Dialect == SqlDialect.PostgreSql ? "SELECT document::text FROM certificate_types ORDER BY code" : "SELECT document FROM certificate_types ORDER BY code",
            cancellationToken: cancellationToken));
        return [.. documents.Select(d => JsonSerializer.Deserialize<CertificateType>(d, Json)!)];
    }

    public async Task<bool> AddTypeAsync(CertificateType type, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO certificate_types (code, document, updated_at) VALUES (@code, {database.Json("document")}, @now) ON CONFLICT (code) DO NOTHING",
            new { code = type.Code, document = JsonSerializer.Serialize(type, Json), now = now.ToUniversalTime() }, cancellationToken: cancellationToken));
        return rows == 1;
    }

    public async Task<long> CountCertificatesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM certificates", cancellationToken: cancellationToken));
    }

    private async Task<IReadOnlyList<Department>> QueryDepartmentsAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        var list = new List<Department>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new Department(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return list;
    }

    private static async Task<IReadOnlyList<StoredCertificate>> ReadCertificatesAsync(
        DbConnection connection, DbTransaction? transaction, string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
        var list = new List<StoredCertificate>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StoredCertificate
            {
                HolderKey = reader.GetString(0),
                Id = reader.GetString(1),
                TypeCode = reader.GetString(2),
                IssuerCode = reader.GetString(3),
                Version = reader.GetInt32(4),
                Status = reader.GetString(5),
                StatusReason = reader.IsDBNull(6) ? null : reader.GetString(6),
                IssuedAt = reader.GetFieldValue<DateTimeOffset>(7),
                ValidFrom = reader.GetFieldValue<DateTimeOffset>(8),
                ValidUntil = reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                Supersedes = reader.IsDBNull(10) ? null : reader.GetString(10),
                SupersededBy = reader.IsDBNull(11) ? null : reader.GetString(11),
                StatusListId = reader.GetString(12),
                StatusIndex = reader.GetInt32(13),
                LogIndex = reader.GetInt64(14),
                SealedDocument = (byte[])reader.GetValue(15),
                UpdatedAt = reader.GetFieldValue<DateTimeOffset>(16),
                StatusReasonCode = reader.IsDBNull(17) ? null : reader.GetString(17),
                SealedStatusReason = reader.IsDBNull(18) ? null : (byte[])reader.GetValue(18),
                HolderKind = reader.GetString(19),
            });
        }

        return list;
    }

    internal sealed class WriteTransaction(ICertLibraryDatabase database, DbConnection connection, DbTransaction transaction, long initialLogSize)
        : ICertificateWriteTransaction, IMerkleNodeReader
    {
        private readonly Dictionary<(int Level, long Index), byte[]> _nodes = [];
        private readonly long _initialSize = initialLogSize;
        private long _size = initialLogSize;
        private bool _committed;

        public long NextLogIndex => _size;

        public async Task<IdempotencyRecord?> FindIdempotencyAsync(string scope, string key, CancellationToken cancellationToken)
        {
            var sql = database.Dialect == SqlDialect.PostgreSql
                ? "SELECT request_hash, status_code, response::text FROM idempotency_keys WHERE scope = @scope AND key = @key"
                : "SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = @scope AND key = @key";
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, new { scope, key }, transaction, cancellationToken: cancellationToken));
            return await reader.ReadAsync(cancellationToken)
                ? new IdempotencyRecord(reader.GetString(0), reader.GetInt32(1), reader.GetString(2))
                : null;
        }

        public Task SaveIdempotencyAsync(string scope, string key, IdempotencyRecord record, DateTimeOffset now, CancellationToken cancellationToken) =>
            connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at) VALUES (@scope, @key, @hash, @code, {database.Json("response")}, @now)",
                new { scope, key, hash = record.RequestHash, code = record.StatusCode, response = record.ResponseJson, now = now.ToUniversalTime() },
                transaction, cancellationToken: cancellationToken));

        public async Task<StatusListRef> AllocateStatusSlotAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            var (listId, _) = await CurrentStatusListAsync(now, cancellationToken);

            // Random index (SPEC §5): a status-list fetch reveals nothing about which certificate is checked.
            // The list is at most half full, so each try succeeds with probability ≥ 1/2.
            while (true)
            {
                var slot = RandomNumberGenerator.GetInt32(StatusListCapacity);
                var rows = await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO status_list_slots (list_id, slot) VALUES (@listId, @slot) ON CONFLICT DO NOTHING",
                    new { listId, slot }, transaction, cancellationToken: cancellationToken));
                if (rows == 1)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE status_lists SET allocated = allocated + 1 WHERE list_id = @listId", new { listId }, transaction, cancellationToken: cancellationToken));
                    return new StatusListRef(listId, slot);
                }
            }
        }

        public async Task<IReadOnlyList<StatusListRef>> AllocateStatusSlotsAsync(int count, DateTimeOffset now, CancellationToken cancellationToken)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            var slots = new List<StatusListRef>(count);
            if (database.Dialect != SqlDialect.PostgreSql)
            {
                // SQLite runs in process: a statement costs no round trip, so slot by slot is as fast.
                while (slots.Count < count)
                {
                    slots.Add(await AllocateStatusSlotAsync(now, cancellationToken));
                }

                return slots;
            }

            while (slots.Count < count)
            {
                var (listId, free) = await CurrentStatusListAsync(now, cancellationToken);
                var wanted = Math.Min(count - slots.Count, free);
                var taken = new HashSet<int>();
                var order = new List<int>(wanted);
                while (order.Count < wanted)
                {
                    // Random distinct candidates for the slots still missing, tried in one statement; the list is at most
                    // half full, so each round takes at least half of them on average.
                    var candidates = new List<int>(wanted - order.Count);
                    var drawn = new HashSet<int>();
                    while (candidates.Count < wanted - order.Count)
                    {
                        var slot = RandomNumberGenerator.GetInt32(StatusListCapacity);
                        if (!taken.Contains(slot) && drawn.Add(slot))
                        {
                            candidates.Add(slot);
                        }
                    }

                    var inserted = (await connection.QueryAsync<int>(new CommandDefinition(
                        "INSERT INTO status_list_slots (list_id, slot) SELECT @listId, slot FROM unnest(@candidates::integer[]) AS t(slot) " +
                        "ON CONFLICT DO NOTHING RETURNING slot",
                        new { listId, candidates = candidates.ToArray() }, transaction, cancellationToken: cancellationToken))).ToHashSet();
                    foreach (var slot in candidates.Where(inserted.Contains))
                    {
                        taken.Add(slot);
                        order.Add(slot);
                    }
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE status_lists SET allocated = allocated + @wanted WHERE list_id = @listId", new { listId, wanted }, transaction, cancellationToken: cancellationToken));
                slots.AddRange(order.Select(slot => new StatusListRef(listId, slot)));
            }

            return slots;
        }

        /// <summary>The newest list that is less than half full (opened when there is none), and how many slots it still gives out.</summary>
        private async Task<(string ListId, int Free)> CurrentStatusListAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            var current = await connection.QueryFirstOrDefaultAsync<(string ListId, int Free)?>(new CommandDefinition(
                "SELECT list_id, capacity / 2 - allocated FROM status_lists WHERE allocated < capacity / 2 ORDER BY created_at DESC, list_id DESC LIMIT 1",
                transaction: transaction, cancellationToken: cancellationToken));
            if (current is not null)
            {
                return current.Value;
            }

            var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM status_lists", transaction: transaction, cancellationToken: cancellationToken));
            var listId = (count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO status_lists (list_id, capacity, allocated, created_at) VALUES (@listId, @capacity, 0, @now)",
                new { listId, capacity = StatusListCapacity, now = now.ToUniversalTime() }, transaction, cancellationToken: cancellationToken));
            return (listId, StatusListCapacity / 2);
        }

        public async Task<StoredCertificate?> FindForUpdateAsync(string id, CancellationToken cancellationToken)
        {
            var sql = $"SELECT {Columns} FROM certificates WHERE id = @id" + (database.Dialect == SqlDialect.PostgreSql ? " FOR UPDATE" : "");
            return (await ReadCertificatesAsync(connection, transaction, sql, new { id }, cancellationToken)).FirstOrDefault();
        }

        public Task InsertAsync(StoredCertificate c, CancellationToken cancellationToken) =>
            connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO certificates ({Columns}) VALUES (@HolderKey, @Id, @TypeCode, @IssuerCode, @Version, @Status, @StatusReason, @IssuedAt, " +
                "@ValidFrom, @ValidUntil, @Supersedes, @SupersededBy, @StatusListId, @StatusIndex, @LogIndex, @SealedDocument, @UpdatedAt, @StatusReasonCode, @SealedStatusReason, @HolderKind)",
                new
                {
                    c.HolderKey, c.Id, c.TypeCode, c.IssuerCode, c.Version, c.Status, c.StatusReason,
                    IssuedAt = c.IssuedAt.ToUniversalTime(), ValidFrom = c.ValidFrom.ToUniversalTime(), ValidUntil = c.ValidUntil?.ToUniversalTime(),
                    c.Supersedes, c.SupersededBy, c.StatusListId, c.StatusIndex, c.LogIndex, c.SealedDocument, UpdatedAt = c.UpdatedAt.ToUniversalTime(),
                    c.StatusReasonCode, c.SealedStatusReason, c.HolderKind,
                },
                transaction, cancellationToken: cancellationToken));

        public async Task InsertAsync(IReadOnlyList<StoredCertificate> certificates, CancellationToken cancellationToken)
        {
            if (database.Dialect != SqlDialect.PostgreSql)
            {
                foreach (var certificate in certificates)
                {
                    await InsertAsync(certificate, cancellationToken);
                }

                return;
            }

            if (certificates.Count == 0)
            {
                return;
            }

            // One statement for the whole batch: one array per column, unnested into rows.
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO certificates ({Columns}) SELECT * FROM unnest(@holderKeys::text[], @ids::text[], @typeCodes::text[], @issuerCodes::text[], " +
                "@versions::integer[], @statuses::text[], @statusReasons::text[], @issuedAt::timestamptz[], @validFrom::timestamptz[], @validUntil::timestamptz[], " +
                "@supersedes::text[], @supersededBy::text[], @statusListIds::text[], @statusIndexes::integer[], @logIndexes::bigint[], @sealedDocuments::bytea[], @updatedAt::timestamptz[], " +
                "@reasonCodes::text[], @sealedReasons::bytea[], @holderKinds::text[])",
                new
                {
                    holderKeys = certificates.Select(c => c.HolderKey).ToArray(),
                    ids = certificates.Select(c => c.Id).ToArray(),
                    typeCodes = certificates.Select(c => c.TypeCode).ToArray(),
                    issuerCodes = certificates.Select(c => c.IssuerCode).ToArray(),
                    versions = certificates.Select(c => c.Version).ToArray(),
                    statuses = certificates.Select(c => c.Status).ToArray(),
                    statusReasons = certificates.Select(c => c.StatusReason).ToArray(),
                    issuedAt = certificates.Select(c => c.IssuedAt.ToUniversalTime()).ToArray(),
                    validFrom = certificates.Select(c => c.ValidFrom.ToUniversalTime()).ToArray(),
                    validUntil = certificates.Select(c => c.ValidUntil?.ToUniversalTime()).ToArray(),
                    supersedes = certificates.Select(c => c.Supersedes).ToArray(),
                    supersededBy = certificates.Select(c => c.SupersededBy).ToArray(),
                    statusListIds = certificates.Select(c => c.StatusListId).ToArray(),
                    statusIndexes = certificates.Select(c => c.StatusIndex).ToArray(),
                    logIndexes = certificates.Select(c => c.LogIndex).ToArray(),
                    sealedDocuments = certificates.Select(c => c.SealedDocument).ToArray(),
                    updatedAt = certificates.Select(c => c.UpdatedAt.ToUniversalTime()).ToArray(),
                    reasonCodes = certificates.Select(c => c.StatusReasonCode).ToArray(),
                    sealedReasons = certificates.Select(c => c.SealedStatusReason).ToArray(),
                    holderKinds = certificates.Select(c => c.HolderKind).ToArray(),
                },
                transaction, cancellationToken: cancellationToken));
        }

        public Task UpdateStatusAsync(
            StoredCertificate certificate, string status, string? reasonCode, byte[]? sealedReason, string? supersededBy, DateTimeOffset now, CancellationToken cancellationToken) =>
            connection.ExecuteAsync(new CommandDefinition(
                "UPDATE certificates SET status = @status, status_reason = NULL, status_reason_code = @reasonCode, status_reason_sealed = @sealedReason, " +
                "superseded_by = COALESCE(@supersededBy, superseded_by), updated_at = @now WHERE holder_key = @holderKey AND id = @id",
                new { status, reasonCode, sealedReason, supersededBy, now = now.ToUniversalTime(), holderKey = certificate.HolderKey, id = certificate.Id },
                transaction, cancellationToken: cancellationToken));

        public async Task<long> AppendLogAsync(byte[] leafInput, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var index = _size;
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO log_entries (idx, leaf_input, created_at) VALUES (@index, @leafInput, @now)",
                new { index, leafInput, now = now.ToUniversalTime() }, transaction, cancellationToken: cancellationToken));

            var newNodes = await MerkleAppender.ComputeNewNodesAsync(index, MerkleHash.Leaf(leafInput), this, cancellationToken);
            foreach (var node in newNodes)
            {
                _nodes[(node.Level, node.Index)] = node.Hash;
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO log_nodes (level, idx, hash) VALUES (@Level, @Index, @Hash)",
                newNodes.Select(n => new { n.Level, n.Index, n.Hash }), transaction, cancellationToken: cancellationToken));
            _size = index + 1;
            return index;
        }

        public async Task<long> AppendLogAsync(IReadOnlyList<byte[]> leafInputs, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var first = _size;
            if (database.Dialect != SqlDialect.PostgreSql)
            {
                foreach (var leafInput in leafInputs)
                {
                    await AppendLogAsync(leafInput, now, cancellationToken);
                }

                return first;
            }

            if (leafInputs.Count == 0)
            {
                return first;
            }

            // Every left sibling a run of appends needs is either made by the run itself or a root of the complete
            // subtrees of the tree as it stands (its frontier): one read, then the whole run is hashed in memory.
            await GetNodesAsync(MerkleAppender.GetFrontierNodeIds(first), cancellationToken);
            var levels = new List<int>(leafInputs.Count * 2);
            var indexes = new List<long>(leafInputs.Count * 2);
            var hashes = new List<byte[]>(leafInputs.Count * 2);
            for (var k = 0; k < leafInputs.Count; k++)
            {
                foreach (var node in MerkleAppender.ComputeNewNodes(first + k, MerkleHash.Leaf(leafInputs[k]), StoredNode))
                {
                    _nodes[(node.Level, node.Index)] = node.Hash;
                    levels.Add(node.Level);
                    indexes.Add(node.Index);
                    hashes.Add(node.Hash);
                }
            }

            var created = now.ToUniversalTime();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO log_entries (idx, leaf_input, created_at) SELECT idx, leaf_input, @created FROM unnest(@entryIndexes::bigint[], @leafInputs::bytea[]) AS t(idx, leaf_input);" +
                "INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest(@levels::integer[], @indexes::bigint[], @hashes::bytea[])",
                new
                {
                    created,
                    entryIndexes = Enumerable.Range(0, leafInputs.Count).Select(k => first + k).ToArray(),
                    leafInputs = leafInputs.ToArray(),
                    levels = levels.ToArray(),
                    indexes = indexes.ToArray(),
                    hashes = hashes.ToArray(),
                },
                transaction, cancellationToken: cancellationToken));
            _size = first + leafInputs.Count;
            return first;
        }

        private byte[] StoredNode(int level, long index) => _nodes.TryGetValue((level, index), out var hash)
            ? hash
            : throw new InvalidOperationException($"Merkle node ({level}, {index}) is not stored.");

        /// <summary>Runs a query inside this transaction.</summary>
        public Task<IEnumerable<T>> QueryAsync<T>(string sql, object parameters, CancellationToken cancellationToken) =>
            connection.QueryAsync<T>(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));

        /// <summary>Runs a statement inside this transaction.</summary>
        public Task<int> ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken) =>
            connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            if (_size != _initialSize)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE log_state SET size = @size WHERE id = 1", new { size = _size }, transaction, cancellationToken: cancellationToken));
            }

            await transaction.CommitAsync(cancellationToken);
            _committed = true;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_committed)
            {
                try
                {
                    await transaction.RollbackAsync();
                }
                catch (Exception e) when (database.IsTransientFailure(e) || e is InvalidOperationException)
                {
                    // The connection is gone; the server rolled back already.
                }
            }

            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }

        public async ValueTask<byte[]> GetNodeAsync(int level, long index, CancellationToken cancellationToken) =>
            (await GetNodesAsync([(level, index)], cancellationToken))[(level, index)];

        public async ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> GetNodesAsync(
            IReadOnlyCollection<(int Level, long Index)> ids, CancellationToken cancellationToken)
        {
            // Left siblings of a new leaf: those written earlier in this transaction are in memory, the rest come in one query.
            var missing = ids.Where(id => !_nodes.ContainsKey(id)).ToList();
            foreach (var (id, hash) in await Transparency.SqlLogReader.ReadNodesAsync(connection, transaction, missing, cancellationToken))
            {
                _nodes[id] = hash;
            }

            return ids.ToDictionary(id => id, id => _nodes.TryGetValue(id, out var hash)
                ? hash
                : throw new InvalidOperationException($"Merkle node ({id.Level}, {id.Index}) is not stored."));
        }
    }
}
