using System.Data.Common;
using System.Text.Json;
using CertLibrary.Data;
using Dapper;

namespace CertLibrary.Identity;

/// <summary>What an authorization code or refresh token stands for.</summary>
internal sealed record GrantData(
    string Scope,
    string? RedirectUri,
    string? Nonce,
    string? CodeChallenge,
    DateTimeOffset AuthTime,
    string Acr,
    string[] Amr);

/// <summary>A stored code or refresh token (found by the hash of its handle).</summary>
internal sealed record GrantRow(
    string HandleHash, string Kind, string GrantId, string ClientId, string Subject, string? SessionId, GrantData Data,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? ConsumedAt);

/// <summary>An SSO session.</summary>
internal sealed record SessionRow(string SessionId, string Subject, DateTimeOffset AuthTime, string Acr, string[] Amr, string[] Clients, DateTimeOffset ExpiresAt, DateTimeOffset? EndedAt);

/// <summary>
/// Plain reads and writes of codes, refresh tokens, sessions and revocations; the rules live in the grant handlers. Each
/// stored revocation (of a token, a grant or a session) is also marked in this node's <see cref="AccessTokenRevocation"/>
/// cache before the call returns, so this node's API refuses the affected access tokens at once.
/// </summary>
internal sealed class GrantStore(ICertLibraryDatabase database, AccessTokenRevocation accessTokens)
{
    private const string GrantColumns = "handle_hash, kind, grant_id, client_id, subject, session_id, data, created_at, expires_at, consumed_at";

    private const string InsertGrant =
        "INSERT INTO identity_grants (handle_hash, kind, grant_id, client_id, subject, session_id, data, created_at, expires_at) " +
        "VALUES (@HandleHash, @Kind, @GrantId, @ClientId, @Subject, @SessionId, @data, @CreatedAt, @ExpiresAt)";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task AddGrantAsync(GrantRow row, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(InsertGrant, GrantParameters(row), cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Stores an authorization code issued from an existing session and records its client among the session's portals,
    /// together (one round trip).
    /// </summary>
    public Task AddCodeAsync(GrantRow code, SessionRow session, CancellationToken cancellationToken)
    {
        var parameters = GrantParameters(code);
        if (session.Clients.Contains(code.ClientId))
        {
            return ExecuteTogetherAsync(InsertGrant, parameters, cancellationToken);
        }

        parameters.Add("sessionKey", session.SessionId);
        return ExecuteTogetherAsync(
            InsertGrant + "; UPDATE identity_sessions SET clients = clients || ' ' || @ClientId WHERE session_id = @sessionKey",
            parameters, cancellationToken);
    }

    public async Task<GrantRow?> FindGrantAsync(string handleHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            $"SELECT {GrantColumns} FROM identity_grants WHERE handle_hash = @handleHash",
            new { handleHash }, cancellationToken: cancellationToken));
        return await reader.ReadAsync(cancellationToken) ? ReadGrant(reader) : null;
    }

    /// <summary>
    /// Consumes the authorization code with this handle hash when it is an unused code of <paramref name="clientId"/>, and
    /// answers it with whether its grant or session was revoked; null when nothing was consumed (unknown, another
    /// client's, or already used). One statement, so one round trip and single use under concurrency.
    /// </summary>
    public async Task<(GrantRow Row, bool Revoked)?> ConsumeCodeAsync(string handleHash, string clientId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "UPDATE identity_grants SET consumed_at = @now " +
            "WHERE handle_hash = @handleHash AND kind = 'code' AND client_id = @clientId AND consumed_at IS NULL " +
            $"RETURNING {GrantColumns}, EXISTS (SELECT 1 FROM identity_revocations r " +
            "WHERE r.id = 'grant:' || identity_grants.grant_id OR r.id = 'session:' || identity_grants.session_id)",
            new { handleHash, clientId, now }, cancellationToken: cancellationToken));
        return await reader.ReadAsync(cancellationToken) ? (ReadGrant(reader), reader.GetBoolean(10)) : null;
    }

    /// <summary>Marks a handle used; false when another request used it first (single use under concurrency).</summary>
    public async Task<bool> ConsumeAsync(string handleHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_grants SET consumed_at = @now WHERE handle_hash = @handleHash AND consumed_at IS NULL",
            new { handleHash, now }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task RevokeAsync(string id, string kind, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_revocations (id, kind, revoked_at, expires_at) VALUES (@id, @kind, @now, @expiresAt) ON CONFLICT (id) DO NOTHING",
            new { id = kind + ":" + id, kind, now, expiresAt }, cancellationToken: cancellationToken));
        accessTokens.Revoked(kind, id);
    }

    public async Task<bool> IsRevokedAsync(IEnumerable<(string Kind, string? Id)> ids, CancellationToken cancellationToken)
    {
        var keys = ids.Where(i => i.Id is not null).Select(i => i.Kind + ":" + i.Id).ToArray();
        if (keys.Length == 0)
        {
            return false;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters();
        var names = new List<string>();
        for (var i = 0; i < keys.Length; i++)
        {
            parameters.Add("k" + i, keys[i]);
            names.Add("@k" + i);
        }

        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM identity_revocations WHERE id IN ({string.Join(", ", names)})", parameters, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>
    /// Stores a new session and, when given, the first authorization code issued from it (whose client is then the
    /// session's first portal), together: one round trip and one commit for a sign-in.
    /// </summary>
    public Task AddSessionAsync(SessionRow session, GrantRow? firstCode, CancellationToken cancellationToken)
    {
        const string InsertSession =
            "INSERT INTO identity_sessions (session_id, subject, auth_time, acr, amr, clients, expires_at) " +
            "VALUES (@sessionKey, @sessionSubject, @authTime, @acr, @amr, @clients, @sessionExpiresAt)";
        var parameters = firstCode is null ? new DynamicParameters() : GrantParameters(firstCode);
        parameters.AddDynamicParams(new
        {
            sessionKey = session.SessionId,
            sessionSubject = session.Subject,
            authTime = session.AuthTime,
            acr = session.Acr,
            amr = string.Join(' ', session.Amr),
            clients = string.Join(' ', session.Clients),
            sessionExpiresAt = session.ExpiresAt,
        });
        return firstCode is null
            ? ExecuteTogetherAsync(InsertSession, parameters, cancellationToken)
            : ExecuteTogetherAsync(InsertSession + "; " + InsertGrant, parameters, cancellationToken);
    }

    /// <summary>The citizen's sessions that have neither ended nor expired at <paramref name="now"/>.</summary>
    public async Task<IReadOnlyList<SessionRow>> OpenSessionsAsync(string subject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            SelectSession + "WHERE subject = @subject AND ended_at IS NULL", new { subject }, cancellationToken: cancellationToken));
        var sessions = new List<SessionRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (ReadSession(reader) is { } session && session.ExpiresAt > now)
            {
                sessions.Add(session);
            }
        }

        return sessions;
    }

    public async Task<SessionRow?> FindSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            SelectSession + "WHERE session_id = @sessionId", new { sessionId }, cancellationToken: cancellationToken));
        return await reader.ReadAsync(cancellationToken) ? ReadSession(reader) : null;
    }

    private const string SelectSession = "SELECT session_id, subject, auth_time, acr, amr, clients, expires_at, ended_at FROM identity_sessions ";

    private static SessionRow ReadSession(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3),
            reader.GetString(4).Split(' ', StringSplitOptions.RemoveEmptyEntries), reader.GetString(5).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));

    /// <summary>
    /// Ends a session in one transaction: marks it ended, revokes every token bound to its <c>sid</c> until
    /// <paramref name="revokedUntil"/>, and queues a back-channel logout (outbox row) for each of its portals that has a
    /// back-channel logout URI. False (and nothing written) when it had already ended.
    /// </summary>
    public async Task<bool> EndSessionAsync(string sessionId, string issuer, DateTimeOffset now, DateTimeOffset revokedUntil, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string subject, clients;
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "UPDATE identity_sessions SET ended_at = @now WHERE session_id = @sessionId AND ended_at IS NULL RETURNING subject, clients",
            new { sessionId, now }, transaction, cancellationToken: cancellationToken)))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            (subject, clients) = (reader.GetString(0), reader.GetString(1));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_revocations (id, kind, revoked_at, expires_at) VALUES (@id, 'session', @now, @revokedUntil) ON CONFLICT (id) DO NOTHING",
            new { id = "session:" + sessionId, now, revokedUntil }, transaction, cancellationToken: cancellationToken));
        foreach (var clientId in clients.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO identity_logout_outbox (id, issuer, client_id, subject, session_id, attempts, next_attempt_ms, created_at) " +
                "SELECT @id, @issuer, client_id, @subject, @sessionId, 0, @due, @now FROM identity_clients " +
                "WHERE client_id = @clientId AND back_channel_logout_uri IS NOT NULL ON CONFLICT (id) DO NOTHING",
                new { id = sessionId + ":" + clientId, issuer, clientId, subject, sessionId, due = now.ToUnixTimeMilliseconds(), now },
                transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        accessTokens.Revoked("session", sessionId);
        return true;
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due logout deliveries by moving their next attempt to <paramref name="leaseUntil"/>,
    /// in one statement: two workers never claim the same row (PostgreSQL skips rows another worker is claiming; SQLite
    /// serialises writers). A worker that dies leaves its rows to be claimed again once the lease has passed.
    /// </summary>
    public async Task<IReadOnlyList<LogoutDelivery>> ClaimLogoutDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        var skipLocked = database.Dialect == SqlDialect.PostgreSql ? " FOR UPDATE SKIP LOCKED" : string.Empty;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await ReadDeliveriesAsync(connection, new CommandDefinition(
            "UPDATE identity_logout_outbox SET next_attempt_ms = @lease WHERE id IN (" +
            $"SELECT id FROM identity_logout_outbox WHERE next_attempt_ms <= @now ORDER BY next_attempt_ms LIMIT @limit{skipLocked}) " +
            "RETURNING id, issuer, client_id, subject, session_id, logout_token, " +
            "token_expires_ms, attempts, next_attempt_ms",
            new { now = now.ToUnixTimeMilliseconds(), lease = leaseUntil.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken), cancellationToken);
    }

    /// <summary>Every pending logout delivery (operations and tests).</summary>
    public async Task<IReadOnlyList<LogoutDelivery>> ListLogoutDeliveriesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await ReadDeliveriesAsync(connection, new CommandDefinition(
            "SELECT id, issuer, client_id, subject, session_id, logout_token, " +
            "token_expires_ms, attempts, next_attempt_ms FROM identity_logout_outbox ORDER BY created_at, id",
            cancellationToken: cancellationToken), cancellationToken);
    }

    private static async Task<IReadOnlyList<LogoutDelivery>> ReadDeliveriesAsync(DbConnection connection, CommandDefinition command,
        CancellationToken cancellationToken)
    {
        await using var reader = await connection.ExecuteReaderAsync(command);
        var list = new List<LogoutDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new LogoutDelivery(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.GetInt32(7), reader.GetInt64(8)));
        }

        return list;
    }

    /// <summary>Records the token about to be sent for a claimed delivery (a retry resends it while it is valid).</summary>
    public async Task SetLogoutTokenAsync(string id, string token, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_logout_outbox SET logout_token = @token, token_expires_ms = @expires WHERE id = @id",
            new { id, token, expires = expiresAt.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    /// <summary>Schedules the next attempt of a delivery after a failed one.</summary>
    public async Task RescheduleLogoutDeliveryAsync(string id, int attempts, DateTimeOffset nextAttempt, string error, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_logout_outbox SET attempts = @attempts, next_attempt_ms = @next, last_error = @error WHERE id = @id",
            new { id, attempts, next = nextAttempt.ToUnixTimeMilliseconds(), error }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes a delivery that was delivered, refused or given up.</summary>
    public async Task DeleteLogoutDeliveryAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM identity_logout_outbox WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    private static DynamicParameters GrantParameters(GrantRow row)
    {
        var parameters = new DynamicParameters();
        parameters.AddDynamicParams(new
        {
            row.HandleHash, row.Kind, row.GrantId, row.ClientId, row.Subject, row.SessionId, data = JsonSerializer.Serialize(row.Data, Json), row.CreatedAt, row.ExpiresAt,
        });
        return parameters;
    }

    private static GrantRow ReadGrant(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), JsonSerializer.Deserialize<GrantData>(reader.GetString(6), Json)!,
            reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9));

    /// <summary>
    /// Runs the statements of <paramref name="sql"/> all or none, in one round trip: PostgreSQL runs the statements of one
    /// command in one implicit transaction (Npgsql sends them with a single Sync); SQLite, in process, needs an explicit one.
    /// </summary>
    private async Task ExecuteTogetherAsync(string sql, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = database.Dialect == SqlDialect.Sqlite ? await connection.BeginTransactionAsync(cancellationToken) : null;
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }
}

/// <summary>A pending back-channel logout (outbox row): what is needed to mint and send the logout token.</summary>
internal sealed record LogoutDelivery(
    string Id, string Issuer, string ClientId, string Subject, string SessionId, string? LogoutToken, long? TokenExpiresMs, int Attempts, long LeaseMs);
