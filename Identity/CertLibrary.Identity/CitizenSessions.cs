using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity;

/// <summary>
/// Ends every open single sign-on session of a citizen, each as a logout would (<see cref="SessionCookie.EndAsync"/>):
/// after an administrator resets the second factor, a session started with the lost authenticator must not outlive it.
/// </summary>
public sealed class CitizenSessions
{
    private readonly SessionStore _store;
    private readonly SessionCookie _sessions;
    private readonly TimeProvider _time;

    internal CitizenSessions(SessionStore store, SessionCookie sessions, TimeProvider time)
    {
        _store = store;
        _sessions = sessions;
        _time = time;
    }

    /// <summary>Ends the citizen's open sessions; returns how many were ended.</summary>
    public async Task<int> EndAllAsync(HttpContext context, string subject, CancellationToken cancellationToken = default)
    {
        var ended = 0;
        foreach (var session in await _store.OpenSessionsAsync(subject, _time.GetUtcNow(), cancellationToken))
        {
            if (await _sessions.EndAsync(context, session, cancellationToken))
            {
                ended++;
            }
        }

        return ended;
    }
}
