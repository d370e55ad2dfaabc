using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity;

/// <summary>
/// Ends every open single sign-on session of a citizen, as a logout would (tokens bound to each <c>sid</c> revoked,
/// back-channel logouts queued in the same transaction): after an administrator resets the second factor, a session
/// started with the lost authenticator must not outlive it.
/// </summary>
public sealed class CitizenSessions
{
    private readonly GrantStore _store;
    private readonly BackChannelLogoutNotifier _logouts;
    private readonly IssuerResolver _issuers;
    private readonly TimeProvider _time;

    internal CitizenSessions(GrantStore store, BackChannelLogoutNotifier logouts, IssuerResolver issuers, TimeProvider time)
    {
        _store = store;
        _logouts = logouts;
        _issuers = issuers;
        _time = time;
    }

    /// <summary>Ends the citizen's open sessions; returns how many were ended.</summary>
    public async Task<int> EndAllAsync(HttpContext context, string subject, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var ended = 0;
        foreach (var session in await _store.OpenSessionsAsync(subject, now, cancellationToken))
        {
            if (await _store.EndSessionAsync(session.SessionId, _issuers.GetIssuer(context), now, session.ExpiresAt + TimeSpan.FromDays(30), cancellationToken))
            {
                ended++;
            }
        }

        if (ended > 0)
        {
            _logouts.Wake();
        }

        return ended;
    }
}
