using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>
/// OpenID Connect Back-Channel Logout 1.0: when an SSO session ends, every portal that took part in it and registered a
/// back-channel logout URI receives a logout token. The transaction that ends the session also writes one outbox row
/// per portal (<see cref="SessionStore.EndSessionAsync"/>), so the request never waits for a portal and a node that stops
/// loses nothing: this worker, on every node, claims due rows (a lease, so two nodes never send the same row at once),
/// posts the token with a timeout, deletes the row on 2xx or a refusal (4xx), and otherwise retries with exponential
/// backoff up to <see cref="IdentityOptions.BackChannelLogoutAttempts"/>, then gives up with an audit event. A retry
/// resends the same token while it has at least <see cref="MinimumTokenValidity"/> left; later (a node restarted, a
/// portal down for long) a fresh token is minted — new <c>jti</c>, same <c>sub</c> and <c>sid</c> — so no portal is ever
/// sent an expired token and no token lives more than <see cref="TokenFactory.LogoutTokenLifetime"/>.
/// </summary>
internal sealed partial class BackChannelLogoutNotifier(
    SessionStore store,
    ClientManager clients,
    TokenFactory tokens,
    IHttpClientFactory httpClients,
    IOptions<IdentityOptions> options,
    TimeProvider time,
    ILogger<BackChannelLogoutNotifier> logger) : BackgroundService
{
    /// <summary>Name of the <see cref="HttpClient"/> that posts logout tokens (timeout, no redirects, no cookies).</summary>
    public const string HttpClientName = "CertLibrary.Identity.BackChannelLogout";

    /// <summary>A stored token with less validity left than this is replaced by a fresh one before it is sent.</summary>
    public static readonly TimeSpan MinimumTokenValidity = TimeSpan.FromSeconds(30);

    private const int BatchSize = 16;

    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Tells this node's worker that deliveries were queued (other nodes find them at their next poll).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Claims and attempts the due deliveries once; returns how many were claimed and when the earliest retry is due.</summary>
    public async Task<(int Claimed, DateTimeOffset? NextRetry)> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lease = now + options.Value.BackChannelLogoutTimeout + TimeSpan.FromSeconds(30);
        var due = await store.ClaimLogoutDeliveriesAsync(now, lease, BatchSize, cancellationToken);
        var retries = await Task.WhenAll(due.Select(d => DeliverAsync(d, cancellationToken)));
        return (due.Count, retries.Where(r => r is not null).Min());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.BackChannelLogoutPollInterval;
            try
            {
                var (claimed, nextRetry) = await RunOnceAsync(stoppingToken);
                if (claimed == BatchSize)
                {
                    continue;
                }

                if (nextRetry is { } at && at - time.GetUtcNow() < wait)
                {
                    wait = at - time.GetUtcNow();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRunFailed(logger, e.GetType().Name);
            }

            if (wait > TimeSpan.Zero)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(wait);
                try
                {
                    await _wake.Reader.ReadAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
    }

    /// <summary>One attempt; returns when the next one is due if it failed and will be retried.</summary>
    private async Task<DateTimeOffset?> DeliverAsync(LogoutDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            if (await clients.FindAsync(delivery.ClientId, cancellationToken) is not { BackChannelLogoutUri: { } uri })
            {
                // The portal was deleted or no longer has a back-channel URI since the logout.
                await store.DeleteLogoutDeliveryAsync(delivery.Id, cancellationToken);
                return null;
            }

            var now = time.GetUtcNow();
            var token = delivery.LogoutToken;
            if (token is null || delivery.TokenExpiresMs is not { } expires || DateTimeOffset.FromUnixTimeMilliseconds(expires) - now < MinimumTokenValidity)
            {
                token = await tokens.CreateLogoutTokenAsync(delivery.Issuer, delivery.ClientId, delivery.Subject, delivery.SessionId, cancellationToken);
                await store.SetLogoutTokenAsync(delivery.Id, token, now + TokenFactory.LogoutTokenLifetime, cancellationToken);
            }

            var attempt = delivery.Attempts + 1;
            var error = await SendAsync(new Uri(uri), token, delivery.ClientId, attempt, cancellationToken);
            if (error is null)
            {
                await store.DeleteLogoutDeliveryAsync(delivery.Id, cancellationToken);
                return null;
            }

            if (attempt >= options.Value.BackChannelLogoutAttempts)
            {
                await store.DeleteLogoutDeliveryAsync(delivery.Id, cancellationToken);
                LogGaveUp(logger, delivery.ClientId, attempt, error);
                return null;
            }

            var next = time.GetUtcNow() + options.Value.BackChannelLogoutRetryDelay * Math.Pow(2, attempt - 1);
            await store.RescheduleLogoutDeliveryAsync(delivery.Id, attempt, next, error, cancellationToken);
            LogRetrying(logger, delivery.ClientId, attempt, error);
            return next;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The row keeps its lease and is claimed again once it has passed.
            LogNotifyFailed(logger, e.GetType().Name);
            return null;
        }
    }

    /// <summary>Posts the token; null when done (delivered, or refused for good), otherwise why the attempt failed.</summary>
    private async Task<string?> SendAsync(Uri uri, string token, string clientId, int attempt, CancellationToken cancellationToken)
    {
        using var http = httpClients.CreateClient(HttpClientName);
        try
        {
            using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("logout_token", token)]);
            using var response = await http.PostAsync(uri, content, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                LogDelivered(logger, clientId, attempt);
                return null;
            }

            var status = (int)response.StatusCode;
            if (status < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
            {
                // 400 means the portal refused this token (OIDC Back-Channel Logout §2.8): sending it again changes nothing.
                LogRefused(logger, clientId, status);
                return null;
            }

            return "HTTP " + status;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return e is TaskCanceledException ? "timeout" : e.GetType().Name;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, EventId = 4050, Message = "Back-channel logout delivered to client {ClientId} (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string clientId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4051, Message = "Back-channel logout to client {ClientId} refused with HTTP {Status}")]
    private static partial void LogRefused(ILogger logger, string clientId, int status);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4052, Message = "Back-channel logout to client {ClientId}, attempt {Attempt} failed ({Error}); retrying")]
    private static partial void LogRetrying(ILogger logger, string clientId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4053, Message = "Audit: back-channel logout to client {ClientId} given up after {Attempt} attempts ({Error})")]
    private static partial void LogGaveUp(ILogger logger, string clientId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4054, Message = "Back-channel logout worker run failed ({ExceptionType}); retrying at the next poll")]
    private static partial void LogRunFailed(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4055, Message = "Back-channel logout delivery failed ({ExceptionType}); retried once its lease has passed")]
    private static partial void LogNotifyFailed(ILogger logger, string exceptionType);
}
