using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Data;
using CertLibrary.TransparencyLog;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CertLibrary.CertStore.OneNumber;

/// <summary>
/// Queues and delivers progress notices. It follows the transparency log (every issue, supersede, suspend, reinstate
/// and revoke is an entry there), so the request that caused a change never waits for a notice. Notices go through a
/// database outbox (id = log index, so several nodes enqueue each one once) and are retried with exponential backoff.
/// Signature: <c>CertLib-Signature: t={unix seconds},v1={hex HMAC-SHA256(secret, t + "." + body)}</c>.
/// </summary>
internal sealed partial class ProgressNoticeDispatcher(
    ICertLibraryDatabase database,
    ICertificateStore store,
    CertificateManager certificates,
    IOptions<ProgressNoticeOptions> options,
    TimeProvider time,
    ILogger<ProgressNoticeDispatcher> logger) : BackgroundService
{
    private const string CursorName = "progress-notices";
    private const int BatchSize = 100;
    private static readonly HashSet<string> CertificateEvents = new(StringComparer.Ordinal)
    {
        LogEventTypes.Issue, LogEventTypes.Supersede, LogEventTypes.Suspend, LogEventTypes.Reinstate, LogEventTypes.Revoke,
    };

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = options.Value.Timeout };

    /// <summary>Enqueues notices for new log entries, then delivers the due ones; returns how many were delivered.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (options.Value.GatewayUrl is null)
        {
            return 0;
        }

        await EnqueueAsync(cancellationToken);
        return await DeliverDueAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.GatewayUrl is null)
        {
            return;
        }

        if (string.IsNullOrEmpty(options.Value.Secret))
        {
            throw new InvalidOperationException("CERTLIB_NOTICE_WEBHOOK_SECRET is required when CERTLIB_NOTICE_WEBHOOK_URL is set.");
        }

        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRunFailed(logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task EnqueueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var cursor = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT position FROM notice_cursor WHERE name = @name", new { name = CursorName }, cancellationToken: cancellationToken));
        if (cursor is null)
        {
            // First start with a gateway: notify from now on, not for every certificate ever issued.
            var end = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(idx) FROM log_entries", cancellationToken: cancellationToken)) ?? -1;
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO notice_cursor (name, position) VALUES (@name, @end) ON CONFLICT (name) DO NOTHING", new { name = CursorName, end }, cancellationToken: cancellationToken));
            return;
        }

        var entries = (await connection.QueryAsync<(long Index, byte[] Leaf)>(new CommandDefinition(
            "SELECT idx, leaf_input FROM log_entries WHERE idx > @cursor ORDER BY idx LIMIT @limit",
            new { cursor, limit = BatchSize }, cancellationToken: cancellationToken))).ToList();
        var now = time.GetUtcNow();
        foreach (var (index, leaf) in entries)
        {
            var entry = LogEntry.FromLeafInput(leaf);
            if (CertificateEvents.Contains(entry.EventType) && entry.CertificateId is { } id && await store.FindAsync(id, cancellationToken) is { } row)
            {
                var certificate = certificates.ToCertificate(row, now);
                var type = await store.FindTypeAsync(row.TypeCode, cancellationToken);
                var body = JsonSerializer.Serialize(new ProgressNotice(
                    index.ToString(CultureInfo.InvariantCulture), entry.EventType, id, row.TypeCode, type?.Name,
                    new NoticeParty(row.IssuerCode, certificate.Payload.Issuer.Name), row.HolderKey, Mask(certificate.Payload.Holder.Name),
                    certificate.Status, entry.ReasonCode, entry.Time), CertStoreJson.Options);
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO notice_outbox (id, holder_key, body, attempts, next_attempt_ms, created_at) VALUES (@id, @holderKey, @body, 0, @due, @now) " +
                    "ON CONFLICT (id) DO NOTHING",
                    new { id = index.ToString(CultureInfo.InvariantCulture), holderKey = row.HolderKey, body, due = now.ToUnixTimeMilliseconds(), now },
                    cancellationToken: cancellationToken));
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE notice_cursor SET position = @index WHERE name = @name AND position < @index", new { name = CursorName, index }, cancellationToken: cancellationToken));
        }
    }

    private async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var due = await connection.QueryAsync<(string Id, string Body, int Attempts, long NextAttemptMs)>(new CommandDefinition(
            "SELECT id, body, attempts, next_attempt_ms FROM notice_outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_ms <= @now " +
            "ORDER BY next_attempt_ms LIMIT @limit",
            new { now = now.ToUnixTimeMilliseconds(), limit = BatchSize }, cancellationToken: cancellationToken));
        var delivered = 0;
        foreach (var (id, body, attempts, nextAttemptMs) in due)
        {
            // Claim with a lease so that another node does not send the same notice at the same time.
            var lease = now + o.Timeout + TimeSpan.FromSeconds(5);
            if (await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE notice_outbox SET next_attempt_ms = @lease WHERE id = @id AND next_attempt_ms = @old",
                new { id, old = nextAttemptMs, lease = lease.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)) == 0)
            {
                continue;
            }

            var error = await SendAsync(id, body, cancellationToken);
            var attempt = attempts + 1;
            var at = time.GetUtcNow();
            if (error is null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE notice_outbox SET attempts = @attempt, delivered_at = @at, last_error = NULL WHERE id = @id",
                    new { id, attempt, at }, cancellationToken: cancellationToken));
                delivered++;
                continue;
            }

            var delay = TimeSpan.FromTicks(Math.Min(o.MaxDelay.Ticks, o.BaseDelay.Ticks * (1L << Math.Min(attempt - 1, 30))));
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE notice_outbox SET attempts = @attempt, next_attempt_ms = @next, last_error = @error, failed_at = @failedAt WHERE id = @id",
                new { id, attempt, next = (at + delay).ToUnixTimeMilliseconds(), error, failedAt = attempt >= o.MaxAttempts ? at : (DateTimeOffset?)null },
                cancellationToken: cancellationToken));
            LogDeliveryFailed(logger, id, attempt, error);
        }

        return delivered;
    }

    private async Task<string?> SendAsync(string id, string body, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, o.GatewayUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("CertLib-Notice-Id", id);
        request.Headers.Add("CertLib-Signature", $"t={timestamp},v1={Sign(o.Secret ?? "", timestamp, body)}");
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return e.GetType().Name;
        }
    }

    /// <summary>Hex HMAC-SHA256 over <c>{timestamp}.{body}</c>.</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));

    private static string Mask(string name) => name.Length switch
    {
        <= 1 => name,
        2 => name[0] + "*",
        _ => name[0] + new string('*', name.Length - 2) + name[^1],
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Progress notice run failed ({ExceptionType})")]
    private static partial void LogRunFailed(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Progress notice {NoticeId} attempt {Attempt} failed: {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, string noticeId, int attempt, string error);

    private sealed record ProgressNotice(
        string Id, string Event, string CertificateId, string TypeCode, string? TypeName, NoticeParty Issuer, string HolderKey, string HolderName,
        string Status, string? ReasonCode, DateTimeOffset Time);

    private sealed record NoticeParty(string Code, string Name);
}
