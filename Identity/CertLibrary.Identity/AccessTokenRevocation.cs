using System.Collections.Concurrent;
using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CertLibrary.Identity;

/// <summary>
/// Tells a resource server whether an access token, already validated (signature, issuer, audience, lifetime), was cut
/// off since it was issued: its <c>jti</c> was revoked (RFC 7009), its grant was revoked (refresh-token revocation or
/// reuse detection, deletion of its client), its SSO session (<c>sid</c>) ended (logout, administrator second-factor
/// reset), or its client no longer exists (deleted, or deleted and registered again after the token was issued). One
/// query per check reads <c>identity_revocations</c> and <c>identity_clients</c> together.
/// </summary>
/// <remarks>
/// <para>
/// The answer for a token is kept in process for <see cref="IdentityOptions.RevocationCheckInterval"/> (default 5 s), so
/// a node queries the database at most once per token and interval, however many requests carry the token (concurrent
/// requests share one query). At most 100,000 answers are kept; beyond that a check queries the database without caching.
/// </para>
/// <para>
/// Timeliness: on the node that revokes a token, revokes a grant, ends a session or deletes a client, the effect is
/// immediate — the operation marks the revoked id in this cache before it returns, and every cached answer naming that id
/// is refused from then on. Other nodes refuse the token at the latest one interval later, when their cached answer
/// expires. A revocation is never taken back: a token once found revoked stays refused until it expires.
/// </para>
/// </remarks>
public sealed class AccessTokenRevocation
{
    /// <summary>Largest number of cached answers.</summary>
    internal const int MaxEntries = 100_000;

    // A local mark must outlive every cached answer obtained before it: the interval, plus the longest a query started
    // before the mark can still be running (command timeouts are seconds), with room to spare.
    private static readonly TimeSpan MarkMargin = TimeSpan.FromMinutes(1);

    // Token iat has whole seconds; a client's created_at has sub-second precision.
    private static readonly TimeSpan IssuedAtPrecision = TimeSpan.FromSeconds(1);

    private readonly ICertLibraryDatabase _database;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ConcurrentDictionary<string, Answer> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Kind, string Id), Mark> _marks = new();
    private readonly Lock _sweepLock = new();
    private int _answerCount;
    private int _markCount;
    private long _nextAnswerSweepTicks;

    internal AccessTokenRevocation(ICertLibraryDatabase database, IOptions<IdentityOptions> options, TimeProvider time)
    {
        _database = database;
        _time = time;
        _interval = options.Value.RevocationCheckInterval;
    }

    /// <summary>
    /// True when the access token must be refused: revoked (by <c>jti</c>, <c>grant_id</c> or <c>sid</c>), its client gone,
    /// or it carries no <c>jti</c> or <c>client_id</c> (every access token of this provider has both). Throws what the
    /// database throws when it cannot answer; callers fail closed.
    /// </summary>
    public async ValueTask<bool> IsRevokedAsync(JsonWebToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parsed = TokenIds.From(token);
        if (parsed is null)
        {
            return true;
        }

        var ids = parsed.Value;
        var now = _time.GetUtcNow();
        while (true)
        {
            if (_answers.TryGetValue(ids.Jti, out var cached) && cached.IsUsable(now))
            {
                return await cached.Revoked.WaitAsync(cancellationToken) || IsMarked(ids);
            }

            if (Volatile.Read(ref _answerCount) >= MaxEntries && !TrySweepAnswers(now))
            {
                return await QueryAsync(ids, cancellationToken) || IsMarked(ids);
            }

            var pending = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var answer = new Answer(pending.Task, now + _interval, ids.ExpiresAt + TimeSpan.FromMinutes(1));
            if (cached is null ? !_answers.TryAdd(ids.Jti, answer) : !_answers.TryUpdate(ids.Jti, answer, cached))
            {
                continue; // another request started the query first: share its answer
            }

            if (cached is null)
            {
                Interlocked.Increment(ref _answerCount);
            }

            try
            {
                // Not the request's token: the query is shared with concurrent requests, which may outlive this one.
                pending.SetResult(await QueryAsync(ids, CancellationToken.None));
            }
            catch (Exception e)
            {
                if (_answers.TryRemove(new KeyValuePair<string, Answer>(ids.Jti, answer)))
                {
                    Interlocked.Decrement(ref _answerCount);
                }

                pending.SetException(e);
            }

            return await pending.Task.WaitAsync(cancellationToken) || IsMarked(ids);
        }
    }

    /// <summary>
    /// The same check without the cache: always one query, so the answer is live on every node. For the provider's own
    /// answers about a token (introspection, UserInfo), which callers rely on to be current.
    /// </summary>
    public async ValueTask<bool> IsRevokedNowAsync(JsonWebToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return TokenIds.From(token) is not { } ids || await QueryAsync(ids, cancellationToken) || IsMarked(ids);
    }

    /// <summary>
    /// Records on this node that <paramref name="kind"/> (<c>jti</c>, <c>grant</c>, <c>session</c> or <c>client</c>)
    /// <paramref name="id"/> was revoked, after the revocation was stored: cached answers naming it are refused at once.
    /// </summary>
    internal void Revoked(string kind, string id)
    {
        var now = _time.GetUtcNow();
        var mark = new Mark(now, now + _interval + MarkMargin);
        if (_marks.TryAdd((kind, id), mark))
        {
            Interlocked.Increment(ref _markCount);
        }
        else
        {
            _marks[(kind, id)] = mark;
        }

        foreach (var entry in _marks)
        {
            if (entry.Value.KeepUntil <= now && _marks.TryRemove(entry))
            {
                Interlocked.Decrement(ref _markCount);
            }
        }
    }

    private bool IsMarked(TokenIds ids)
    {
        if (Volatile.Read(ref _markCount) == 0)
        {
            return false;
        }

        // A client id may be registered again after its deletion: its mark refuses only tokens issued before the deletion.
        return _marks.ContainsKey(("jti", ids.Jti))
            || ids.TokenId is not null && _marks.ContainsKey(("token", ids.TokenId))
            || _marks.TryGetValue(("client", ids.ClientId), out var deleted) && ids.IssuedAt <= deleted.RevokedAt
            || ids.GrantId is not null && _marks.ContainsKey(("grant", ids.GrantId))
            || ids.SessionId is not null && _marks.ContainsKey(("session", ids.SessionId));
    }

    /// <summary>Drops answers no longer usable; at most once per interval, so a full cache of live answers costs no sweep per request.</summary>
    private bool TrySweepAnswers(DateTimeOffset now)
    {
        lock (_sweepLock)
        {
            if (Volatile.Read(ref _answerCount) < MaxEntries)
            {
                return true;
            }

            if (now.UtcTicks < _nextAnswerSweepTicks)
            {
                return false;
            }

            _nextAnswerSweepTicks = (now + (_interval > TimeSpan.FromSeconds(1) ? _interval : TimeSpan.FromSeconds(1))).UtcTicks;
            foreach (var entry in _answers)
            {
                if (entry.Value.IsDiscardable(now) && _answers.TryRemove(entry))
                {
                    Interlocked.Decrement(ref _answerCount);
                }
            }

            return Volatile.Read(ref _answerCount) < MaxEntries;
        }
    }

    private async Task<bool> QueryAsync(TokenIds ids, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM identity_revocations WHERE id IN (@jti, @session)) " +
            "+ (SELECT COUNT(*) FROM identity_oidc_tokens WHERE \"Id\" = @tokenId AND \"Status\" = 'revoked') " +
            "+ (SELECT COUNT(*) FROM identity_oidc_authorizations WHERE \"Id\" = @grant AND \"Status\" = 'revoked'), " +
            "(SELECT created_at FROM identity_clients WHERE client_id = @clientId)",
            new
            {
                jti = "jti:" + ids.Jti,
                tokenId = ids.TokenId,
                grant = ids.GrantId,
                session = ids.SessionId is null ? null : "session:" + ids.SessionId,
                clientId = ids.ClientId,
            },
            cancellationToken: cancellationToken));
        if (!await reader.ReadAsync(cancellationToken))
        {
            return true;
        }

        if (reader.GetInt64(0) > 0 || reader.IsDBNull(1))
        {
            return true;
        }

        // A client deleted and registered again under the same id is a new client: tokens of the old one stay refused.
        return reader.GetFieldValue<DateTimeOffset>(1) > ids.IssuedAt + IssuedAtPrecision;
    }

    /// <summary>One cached answer: the (possibly still running) query and how long a "not revoked" answer may be reused.</summary>
    private sealed class Answer(Task<bool> revoked, DateTimeOffset freshUntil, DateTimeOffset keepUntil)
    {
        public Task<bool> Revoked { get; } = revoked;

        /// <summary>A running query is shared; a "revoked" answer is final; a "not revoked" one holds for the interval.</summary>
        public bool IsUsable(DateTimeOffset now) =>
            !Revoked.IsCompleted || Revoked.IsCompletedSuccessfully && (Revoked.Result || now < freshUntil);

        public bool IsDiscardable(DateTimeOffset now) =>
            Revoked.IsCompleted && (!Revoked.IsCompletedSuccessfully || (Revoked.Result ? now >= keepUntil : now >= freshUntil));
    }

    private readonly record struct Mark(DateTimeOffset RevokedAt, DateTimeOffset KeepUntil);

    private readonly record struct TokenIds(string Jti, string? TokenId, string ClientId, string? GrantId, string? SessionId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
    {
        public static TokenIds? From(JsonWebToken token)
        {
            if (string.IsNullOrEmpty(token.Id) || !token.TryGetPayloadValue<string>("client_id", out var clientId) || string.IsNullOrEmpty(clientId))
            {
                return null;
            }

            // OpenIddict's token entry (oi_tkn_id) and authorization, the grant (oi_au_id): revoked by revocation and reuse detection.
            token.TryGetPayloadValue<string>("oi_tkn_id", out var tokenId);
            token.TryGetPayloadValue<string>("oi_au_id", out var grantId);
            token.TryGetPayloadValue<string>("sid", out var sessionId);
            return new TokenIds(token.Id, NullIfEmpty(tokenId), clientId, NullIfEmpty(grantId), NullIfEmpty(sessionId),
                new DateTimeOffset(token.IssuedAt, TimeSpan.Zero), new DateTimeOffset(token.ValidTo, TimeSpan.Zero));
        }

        private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
    }
}
