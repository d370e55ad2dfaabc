using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>
/// OpenID Connect Back-Channel Logout 1.0: when an SSO session ends, every portal that took part in it and registered a
/// back-channel logout URI receives a logout token. The request that ended the session only enqueues (it never waits
/// for a portal); deliveries run in the background, a few at a time, each with a short timeout and a few retries.
/// The queue is in memory: a node that stops loses its pending deliveries (the session itself is already ended and its
/// tokens revoked in the database, so a portal that missed the notice learns it at its next token refresh or prompt=none).
/// </summary>
internal sealed partial class BackChannelLogoutNotifier(
    GrantStore store,
    ClientManager clients,
    TokenFactory tokens,
    IHttpClientFactory httpClients,
    IOptions<IdentityOptions> options,
    TimeProvider time,
    ILogger<BackChannelLogoutNotifier> logger) : BackgroundService
{
    /// <summary>Name of the <see cref="HttpClient"/> that posts logout tokens (timeout, no redirects, no cookies).</summary>
    public const string HttpClientName = "CertLibrary.Identity.BackChannelLogout";

    private const int MaxConcurrentSessions = 16;

    private readonly Channel<EndedSession> _queue = Channel.CreateBounded<EndedSession>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    // Not disposed: deliveries still running at shutdown release it after the host is gone (it holds no wait handle).
    private readonly SemaphoreSlim _slots = new(MaxConcurrentSessions, MaxConcurrentSessions);

    /// <summary>Queues the notices for an ended session; never blocks. <paramref name="issuer"/> is the <c>iss</c> of the tokens.</summary>
    public void Enqueue(string issuer, string sessionId)
    {
        if (!_queue.Writer.TryWrite(new EndedSession(issuer, sessionId)))
        {
            LogQueueFull(logger);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var ended in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            // One slow portal must not hold back the logouts of other sessions: each session is notified on its own.
            await _slots.WaitAsync(stoppingToken);
            _ = Task.Run(async () =>
            {
                try
                {
                    await NotifyAsync(ended, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogNotifyFailed(logger, e.GetType().Name);
                }
                finally
                {
                    _slots.Release();
                }
            }, CancellationToken.None);
        }
    }

    private async Task NotifyAsync(EndedSession ended, CancellationToken cancellationToken)
    {
        var session = await store.FindSessionAsync(ended.SessionId, cancellationToken);
        if (session is null)
        {
            return;
        }

        var deliveries = new List<Task>();
        foreach (var clientId in session.Clients.Distinct(StringComparer.Ordinal))
        {
            if (await clients.FindAsync(clientId, cancellationToken) is { BackChannelLogoutUri: { } uri })
            {
                deliveries.Add(DeliverAsync(ended.Issuer, session, clientId, new Uri(uri), cancellationToken));
            }
        }

        await Task.WhenAll(deliveries);
    }

    private async Task DeliverAsync(string issuer, SessionRow session, string clientId, Uri uri, CancellationToken cancellationToken)
    {
        var token = await tokens.CreateLogoutTokenAsync(issuer, clientId, session.Subject, session.SessionId, cancellationToken);
        using var http = httpClients.CreateClient(HttpClientName);
        var delay = options.Value.BackChannelLogoutRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            string error;
            try
            {
                using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("logout_token", token)]);
                using var response = await http.PostAsync(uri, content, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    LogDelivered(logger, clientId, attempt);
                    return;
                }

                var status = (int)response.StatusCode;
                error = "HTTP " + status;
                if (status < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
                {
                    // 400 means the portal refused this token (OIDC Back-Channel Logout §2.8): sending it again changes nothing.
                    LogRefused(logger, clientId, status);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                error = e is TaskCanceledException ? "timeout" : e.GetType().Name;
            }

            if (attempt >= options.Value.BackChannelLogoutAttempts)
            {
                LogGaveUp(logger, clientId, attempt, error);
                return;
            }

            LogRetrying(logger, clientId, attempt, error);
            await Task.Delay(delay, time, cancellationToken);
            delay *= 2;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, EventId = 4050, Message = "Back-channel logout delivered to client {ClientId} (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string clientId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4051, Message = "Back-channel logout to client {ClientId} refused with HTTP {Status}")]
    private static partial void LogRefused(ILogger logger, string clientId, int status);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4052, Message = "Back-channel logout to client {ClientId}, attempt {Attempt} failed ({Error}); retrying")]
    private static partial void LogRetrying(ILogger logger, string clientId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4053, Message = "Back-channel logout to client {ClientId} given up after {Attempt} attempts ({Error})")]
    private static partial void LogGaveUp(ILogger logger, string clientId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4054, Message = "Back-channel logout queue is full; the notices of an ended session were dropped")]
    private static partial void LogQueueFull(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4055, Message = "Back-channel logout of an ended session failed ({ExceptionType})")]
    private static partial void LogNotifyFailed(ILogger logger, string exceptionType);

    private sealed record EndedSession(string Issuer, string SessionId);
}
