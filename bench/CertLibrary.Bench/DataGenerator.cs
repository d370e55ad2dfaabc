using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Collections.Concurrent;
using Bogus;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Data;
using CertLibrary.Identifiers;
using CertLibrary.TransparencyLog;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace CertLibrary.Bench;

/// <summary>
/// How many holders and certificates a generated store holds: one holder per ten certificates; a fifth of the holders
/// (the probe holders the lookup figures ask for) hold exactly 20 certificates, the others share the rest evenly.
/// </summary>
internal sealed record DataShape(int Certificates)
{
    public const int ProbeCertificates = 20;

    public int Holders => Certificates / 10;

    public int Probes => Holders / 5;

    private int Others => Holders - Probes;

    private int OtherBase => (Certificates - (ProbeCertificates * Probes)) / Others;

    private int OtherExtra => (Certificates - (ProbeCertificates * Probes)) % Others;

    public int CountOf(int holder) => holder < Probes ? ProbeCertificates : OtherBase + (holder - Probes < OtherExtra ? 1 : 0);

    /// <summary>Global index of the holder's first certificate.</summary>
    public long FirstOf(int holder) => holder < Probes
        ? (long)ProbeCertificates * holder
        : ((long)ProbeCertificates * Probes) + ((long)(holder - Probes) * OtherBase) + Math.Min(holder - Probes, OtherExtra);

    /// <summary>The holder's identity number: unique per index, valid under GB 11643 (check character computed by <see cref="CitizenId.Create"/>).</summary>
    public static CitizenId HolderNumber(int holder)
    {
        string[] areas = ["110105", "310104", "440305", "510107", "330106", "420106", "610113", "320102"];
        var birth = new DateOnly(1950, 1, 1).AddDays((holder / 1000 * 37) % 20_000);
        return CitizenId.Create(areas[(holder / 1000) % areas.Length], birth, holder % 1000);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Certificates:#,0} certificates, {Holders:#,0} holders ({Probes:#,0} with {ProbeCertificates} certificates each)");
}

/// <summary>What a generation wrote.</summary>
internal sealed record GeneratedData(DataShape Shape, IReadOnlyList<string> ProbeHolders, long LogSize, double Seconds);

/// <summary>
/// Fills a migrated PostgreSQL store with valid certificates quickly: every row is built as
/// <see cref="CertificateManager"/> writes it at issue (payload, both department signatures over it, sealed document,
/// holder key, random status-list slot, transparency-log entry and Merkle nodes), using the library's own
/// <see cref="ICertificateSigner"/>, <see cref="PersonalDataProtector"/>, <see cref="LogEntry"/> and
/// <see cref="MerkleAppender"/>, and written with binary COPY in one transaction (all or nothing).
/// </summary>
/// <remarks>
/// Every certificate is really signed (SM2 and ES256): each signature covers the certificate's own id, so signatures
/// cannot be shared between rows without producing certificates that do not verify. Signing dominates the cost and
/// runs on every core.
/// </remarks>
internal static class DataGenerator
{
    private const int HoldersPerChunk = 256;

    public static async Task<GeneratedData> GenerateAsync(string connectionString, byte[] masterKey, DataShape shape, Action<string> log, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        await using var provider = StoreServices.Create(connectionString, masterKey);
        var store = provider.GetRequiredService<ICertificateStore>();
        var protector = provider.GetRequiredService<PersonalDataProtector>();
        var certificateSigner = provider.GetRequiredService<ICertificateSigner>();

        // The demo types held by citizens that a 民政部 client may use; the issuing department of each (its keys are created here, with their
        // key-added log entries, exactly as the first issue through the API would).
        var types = (await store.ListTypesAsync(cancellationToken))
            .Where(t => t.Users.Contains(Departments.CivilAffairs) && t.HolderKind == HolderKinds.Citizen).OrderBy(t => t.Code, StringComparer.Ordinal).ToArray();
        if (types.Length == 0)
        {
            throw new InvalidOperationException("The store has no certificate type the 民政部 may use: start the API with --seed-demo on it first.");
        }

        var issuers = new Dictionary<string, (string Name, IIssuerSigner Signer)>(StringComparer.Ordinal);
        foreach (var issuer in types.Select(t => t.Issuers.First()).Distinct(StringComparer.Ordinal))
        {
            var department = await store.FindDepartmentAsync(issuer, cancellationToken);
            issuers[issuer] = (department?.Name ?? issuer, await certificateSigner.ForIssuerAsync(issuer, cancellationToken));
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var firstLogIndex = await ScalarAsync<long>(connection, "SELECT size FROM log_state WHERE id = 1 FOR UPDATE", cancellationToken);
        var frontier = await ReadFrontierAsync(connection, cancellationToken);
        var existingLists = await ScalarAsync<long>(connection, "SELECT COUNT(*) FROM status_lists", cancellationToken);
        var lists = StatusLists.Create(existingLists, shape.Certificates);
        var now = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds());

        // Signing runs on every core (Parallel.For per chunk); one dedicated thread writes the previous chunk with
        // synchronous COPY meanwhile, so its many small writes never wait for a thread-pool thread behind the signers.
        using var chunks = new BlockingCollection<Row[]>(boundedCapacity: 2);
        var building = TimeSpan.Zero;
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                for (var start = 0; start < shape.Holders; start += HoldersPerChunk)
                {
                    var end = Math.Min(shape.Holders, start + HoldersPerChunk);
                    var started = Stopwatch.GetTimestamp();
                    var rows = BuildChunk(shape, start, end, types, issuers, protector, lists, firstLogIndex, now);
                    building += Stopwatch.GetElapsedTime(started);
                    chunks.Add(rows, cancellationToken);
                }
            }
            finally
            {
                chunks.CompleteAdding();
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var written = 0L;
        var writing = TimeSpan.Zero;
        var consumer = Task.Factory.StartNew(() =>
        {
            var nextReport = Stopwatch.StartNew();
            foreach (var rows in chunks.GetConsumingEnumerable(cancellationToken))
            {
                var writeStarted = Stopwatch.GetTimestamp();
                WriteChunk(connection, rows, frontier, now);
                writing += Stopwatch.GetElapsedTime(writeStarted);
                written += rows.Length;
                if (nextReport.Elapsed > TimeSpan.FromSeconds(15))
                {
                    log(string.Create(CultureInfo.InvariantCulture,
                        $"generator: {written:#,0} of {shape.Certificates:#,0} certificates in {watch.Elapsed.TotalSeconds:0} s (building and signing {building.TotalSeconds:0} s, COPY {writing.TotalSeconds:0} s, overlapped)"));
                    nextReport.Restart();
                }
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await Task.WhenAll(producer, consumer);
        if (written != shape.Certificates)
        {
            throw new InvalidOperationException($"Generated {written} certificates instead of {shape.Certificates}.");
        }

        await lists.WriteAsync(connection, now, cancellationToken);
        await using (var update = new NpgsqlCommand("UPDATE log_state SET size = @size WHERE id = 1", connection))
        {
            update.Parameters.AddWithValue("size", firstLogIndex + written);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var committing = Stopwatch.StartNew();
        await transaction.CommitAsync(cancellationToken);
        log(string.Create(CultureInfo.InvariantCulture,
            $"generator: {written:#,0} certificates built and signed in {building.TotalSeconds:0.0} s, written by COPY in {writing.TotalSeconds:0.0} s (overlapped), committed in {committing.Elapsed.TotalSeconds:0.0} s"));
        await using (var analyze = new NpgsqlCommand("ANALYZE", connection))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var probes = Enumerable.Range(0, shape.Probes).Select(h => DataShape.HolderNumber(h).ToString()).ToArray();
        return new GeneratedData(shape, probes, firstLogIndex + written, watch.Elapsed.TotalSeconds);
    }

    private static Row[] BuildChunk(
        DataShape shape, int firstHolder, int endHolder, CertificateType[] types, Dictionary<string, (string Name, IIssuerSigner Signer)> issuers,
        PersonalDataProtector protector, StatusLists lists, long firstLogIndex, DateTimeOffset now)
    {
        var first = shape.FirstOf(firstHolder);
        var count = (int)(shape.FirstOf(endHolder - 1) + shape.CountOf(endHolder - 1) - first);
        var rows = new Row[count];
        Parallel.For(firstHolder, endHolder, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, holder =>
        {
            // One seeded faker per holder: names and face fields are reproducible, and fakers are not thread-safe.
            var faker = new Faker("zh_CN") { Random = new Randomizer(holder) };
            var id = DataShape.HolderNumber(holder);
            var holderKey = protector.HolderKey(id);
            var name = faker.Name.LastName() + faker.Name.FirstName();
            var start = shape.FirstOf(holder);
            for (var j = 0; j < shape.CountOf(holder); j++)
            {
                var k = start + j;
                var type = types[j % types.Length];
                var issuerCode = type.Issuers.First();
                var (issuerName, signer) = issuers[issuerCode];
                var certificateId = CertificateId.NewRandom(CertificateTypeCode.Parse(type.Code), CreditCode.Parse(issuerCode)).ToString();
                var validFrom = now.AddDays(-faker.Random.Int(0, 3000));
                var payload = new CertificatePayload
                {
                    Id = certificateId,
                    TypeCode = type.Code,
                    Issuer = new PartyRef(issuerCode, issuerName),
                    Holder = new HolderRef(id.ToString(), name),
                    Number = string.Create(CultureInfo.InvariantCulture, $"B{k:D10}"),
                    IssuedAt = now,
                    ValidFrom = validFrom,
                    ValidUntil = type.ValidityYears is { } years ? validFrom.AddYears(years) : null,
                    Fields = Fields(type, faker),
                    Version = 1,
                    StatusList = lists.SlotOf(k),
                    LogIndex = firstLogIndex + k,
                };
                var payloadBytes = JsonSerializer.SerializeToUtf8Bytes(payload, CertStoreJson.Options);
                var signature = signer.Sign(payloadBytes);
                var leafInput = new LogEntry(LogEventTypes.Issue, certificateId, null, Convert.ToBase64String(SHA256.HashData(payloadBytes)), issuerCode, now, null).ToLeafInput();
                rows[k - first] = new Row(
                    new StoredCertificate
                    {
                        Id = certificateId,
                        HolderKey = holderKey,
                        TypeCode = type.Code,
                        IssuerCode = issuerCode,
                        Version = 1,
                        Status = CertificateStatus.Valid,
                        IssuedAt = now,
                        ValidFrom = validFrom,
                        ValidUntil = payload.ValidUntil,
                        StatusListId = payload.StatusList.ListId,
                        StatusIndex = payload.StatusList.Index,
                        LogIndex = payload.LogIndex,
                        SealedDocument = protector.Seal(JsonSerializer.SerializeToUtf8Bytes(signature, CertStoreJson.Options), certificateId),
                        UpdatedAt = now,
                    },
                    leafInput,
                    MerkleHash.Leaf(leafInput));
            }
        });
        return rows;
    }

    /// <summary>Face fields that satisfy the type's schema (names and places from Bogus' zh_CN locale).</summary>
    private static JsonObject Fields(CertificateType type, Faker faker)
    {
        var fields = new JsonObject();
        foreach (var field in type.Fields)
        {
            fields[field.Name] = (field.Name, field.Type) switch
            {
                ("spouseName", _) => faker.Name.LastName() + faker.Name.FirstName(),
                ("registrationOffice", _) => faker.Address.City() + "民政局",
                ("address", _) => faker.Address.City() + faker.Address.StreetAddress(),
                ("category", _) => faker.PickRandom("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾"),
                (_, "date") => DateOnly.FromDateTime(faker.Date.Past(30)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                (_, "number") => field.Name == "grade" ? faker.Random.Int(1, 4) : Math.Round(faker.Random.Double(30, 250), 2),
                (_, "boolean") => faker.Random.Bool(),
                _ => faker.Lorem.Word(),
            };
        }

        return fields;
    }

    private static void WriteChunk(NpgsqlConnection connection, Row[] rows, Dictionary<int, (long Index, byte[] Hash)> frontier, DateTimeOffset now)
    {
        using (var copy = connection.BeginBinaryImport(
            "COPY certificates (holder_key, id, type_code, issuer_code, version, status, status_reason, issued_at, valid_from, valid_until, supersedes, " +
            "superseded_by, status_list_id, status_index, log_index, sealed_document, updated_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var c in rows.Select(r => r.Certificate))
            {
                copy.StartRow();
                copy.Write(c.HolderKey, NpgsqlDbType.Text);
                copy.Write(c.Id, NpgsqlDbType.Text);
                copy.Write(c.TypeCode, NpgsqlDbType.Text);
                copy.Write(c.IssuerCode, NpgsqlDbType.Text);
                copy.Write(c.Version, NpgsqlDbType.Integer);
                copy.Write(c.Status, NpgsqlDbType.Text);
                copy.WriteNull();
                copy.Write(c.IssuedAt, NpgsqlDbType.TimestampTz);
                copy.Write(c.ValidFrom, NpgsqlDbType.TimestampTz);
                if (c.ValidUntil is { } until)
                {
                    copy.Write(until, NpgsqlDbType.TimestampTz);
                }
                else
                {
                    copy.WriteNull();
                }

                copy.WriteNull();
                copy.WriteNull();
                copy.Write(c.StatusListId, NpgsqlDbType.Text);
                copy.Write(c.StatusIndex, NpgsqlDbType.Integer);
                copy.Write(c.LogIndex, NpgsqlDbType.Bigint);
                copy.Write(c.SealedDocument, NpgsqlDbType.Bytea);
                copy.Write(c.UpdatedAt, NpgsqlDbType.TimestampTz);
            }

            copy.Complete();
        }

        // Rows arrive in log order; the Merkle nodes that each append completes are computed as the store computes them.
        using (var entries = connection.BeginBinaryImport("COPY log_entries (idx, leaf_input, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                entries.WriteRow(row.Certificate.LogIndex, row.LeafInput, now);
            }

            entries.Complete();
        }

        using (var nodes = connection.BeginBinaryImport("COPY log_nodes (level, idx, hash) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                var added = MerkleAppender.ComputeNewNodes(row.Certificate.LogIndex, row.LeafHash, (level, index) =>
                    frontier.TryGetValue(level, out var node) && node.Index == index
                        ? node.Hash
                        : throw new InvalidOperationException($"Merkle node ({level}, {index}) is not the last one of its level."));
                foreach (var node in added)
                {
                    frontier[node.Level] = (node.Index, node.Hash);
                    nodes.WriteRow(node.Level, node.Index, node.Hash);
                }
            }

            nodes.Complete();
        }

        using (var slots = connection.BeginBinaryImport("COPY status_list_slots (list_id, slot) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var c in rows.Select(r => r.Certificate))
            {
                slots.WriteRow(c.StatusListId, c.StatusIndex);
            }

            slots.Complete();
        }
    }

    /// <summary>The last complete node of every level: the only nodes a further append reads.</summary>
    private static async Task<Dictionary<int, (long Index, byte[] Hash)>> ReadFrontierAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var frontier = new Dictionary<int, (long, byte[])>();
        await using var command = new NpgsqlCommand("SELECT DISTINCT ON (level) level, idx, hash FROM log_nodes ORDER BY level, idx DESC", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            frontier[reader.GetInt32(0)] = (reader.GetInt64(1), (byte[])reader[2]);
        }

        return frontier;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync(cancellationToken))!, typeof(T), CultureInfo.InvariantCulture);
    }

    private sealed record Row(StoredCertificate Certificate, byte[] LeafInput, byte[] LeafHash);

    /// <summary>
    /// New status lists filled as the store fills them: at most half of each list's capacity, at random distinct
    /// indexes (SPEC §5), so a later issue through the API continues in the last list.
    /// </summary>
    private sealed class StatusLists(long existing, int[][] slots, int certificates)
    {
        private static readonly int PerList = SqlCertificateStore.StatusListCapacity / 2;

        public static StatusLists Create(long existing, int certificates)
        {
            var count = (certificates + PerList - 1) / PerList;
            var slots = new int[count][];
            for (var i = 0; i < count; i++)
            {
                slots[i] = Enumerable.Range(0, SqlCertificateStore.StatusListCapacity).ToArray();
                RandomNumberGenerator.Shuffle(slots[i].AsSpan());
            }

            return new StatusLists(existing, slots, certificates);
        }

        public StatusListRef SlotOf(long k) => new(ListId((int)(k / PerList)), slots[k / PerList][k % PerList]);

        public async Task WriteAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken cancellationToken)
        {
            for (var i = 0; i < slots.Length; i++)
            {
                await using var command = new NpgsqlCommand("INSERT INTO status_lists (list_id, capacity, allocated, created_at) VALUES (@id, @capacity, @allocated, @now)", connection);
                command.Parameters.AddWithValue("id", ListId(i));
                command.Parameters.AddWithValue("capacity", SqlCertificateStore.StatusListCapacity);
                command.Parameters.AddWithValue("allocated", Math.Min(PerList, certificates - (i * PerList)));
                command.Parameters.AddWithValue("now", now.AddMilliseconds(i));
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        private string ListId(int i) => (existing + i + 1).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>The demo departments (DemoSeeder in the API).</summary>
internal static class Departments
{
    public const string CivilAffairs = "11100000000013338W";
}
