using System.Data.Common;
using CertLibrary.Data;
using Dapper;

namespace CertLibrary.Identity;

/// <summary>An SSO session.</summary>
internal sealed record SessionRow(string SessionId, string Subject, DateTimeOffset AuthTime, string Acr, string[] Amr, string[] Clients, DateTimeOffset ExpiresAt, DateTimeOffset? EndedAt);

/// <summary>
/// Plain reads and writes of SSO sessions, their revocations and the back-channel logout outbox (codes and tokens live in
/// OpenIddict's stores). An ended session is also marked in this node's <see cref="AccessTokenRevocation"/> cache before
/// the call returns, so this node's API refuses the access tokens issued in it at once.
/// </summary>
internal sealed class SessionStore(ICertLibraryDatabase database, AccessTokenRevocation accessTokens)
{
    /// <summary>Records <paramref name="clientId"/> among the portals of the session (each is sent a back-channel logout when it ends).</summary>
    public async Task AddClientAsync(SessionRow session, string clientId, CancellationToken cancellationToken)
    {
        if (session.Clients.Contains(clientId))
        {
            return;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_sessions SET clients = clients || ' ' || @clientId WHERE session_id = @sessionId",
            new { clientId, sessionId = session.SessionId }, cancellationToken: cancellationToken));
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

    /// <summary>Stores a new session.</summary>
    public async Task AddSessionAsync(SessionRow session, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_sessions (session_id, subject, auth_time, acr, amr, clients, expires_at) " +
            "VALUES (@SessionId, @Subject, @AuthTime, @Acr, @amr, @clients, @ExpiresAt)",
            new { session.SessionId, session.Subject, session.AuthTime, session.Acr, amr = string.Join(' ', session.Amr), clients = string.Join(' ', session.Clients), session.ExpiresAt },
            cancellationToken: cancellationToken));
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
}

/// <summary>A pending back-channel logout (outbox row): what is needed to mint and send the logout token.</summary>
internal sealed record LogoutDelivery(
    string Id, string Issuer, string ClientId, string Subject, string SessionId, string? LogoutToken, long? TokenExpiresMs, int Attempts, long LeaseMs);
