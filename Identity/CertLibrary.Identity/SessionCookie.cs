using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>
/// The SSO cookie: a 256-bit random handle; the database keeps only its hash (the session id), so a stolen database
/// yields no usable cookie and logout on any node ends the session for every portal.
/// </summary>
internal sealed class SessionCookie(
    SessionStore store, BackChannelLogoutNotifier logouts, IssuerResolver issuers, IOptions<IdentityOptions> options, TimeProvider time)
{
    public static string CookieName(HttpContext context) => context.Request.IsHttps ? "__Host-certlib.sso" : "certlib.sso";

    public async Task<SessionRow?> GetAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName(context), out var handle) || string.IsNullOrEmpty(handle) || handle.Length > 100)
        {
            return null;
        }

        var session = await store.FindSessionAsync(SecretHasher.HandleHash(handle), cancellationToken);
        return session is { EndedAt: null } && session.ExpiresAt > time.GetUtcNow() ? session : null;
    }

    /// <summary>Starts a session and sets its cookie.</summary>
    public async Task<SessionRow> StartAsync(HttpContext context, string subject, string acr, string[] amr, CancellationToken cancellationToken)
    {
        // A login replaces the browser's previous session, which ends for every portal that took part in it: a portal
        // never keeps a session of a citizen who signed in again (or of another citizen) in this browser.
        if (await GetAsync(context, cancellationToken) is { } previous)
        {
            await EndAsync(context, previous, cancellationToken);
        }

        // Always a new handle at login: no session fixation.
        var handle = SecretHasher.NewSecret();
        var now = time.GetUtcNow();
        var session = new SessionRow(SecretHasher.HandleHash(handle), subject, now, acr, amr, [], now + options.Value.SessionLifetime, null);
        await store.AddSessionAsync(session, cancellationToken);
        context.Response.Cookies.Append(CookieName(context), handle, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            IsEssential = true,
            Expires = session.ExpiresAt,
        });
        return session;
    }

    /// <summary>
    /// Ends a session: marks it ended, revokes every token bound to its <c>sid</c> (access and refresh tokens, including
    /// offline_access ones) and queues the back-channel logout of its portals, all in one transaction (durable: a node that
    /// stops afterwards loses no notice). False when it had already ended.
    /// </summary>
    public async Task<bool> EndAsync(HttpContext context, SessionRow session, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!await store.EndSessionAsync(session.SessionId, issuers.GetIssuer(context), now, session.ExpiresAt + TimeSpan.FromDays(30), cancellationToken))
        {
            return false;
        }

        logouts.Wake();
        return true;
    }

    public void Delete(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName(context), new CookieOptions { Path = "/", Secure = context.Request.IsHttps, HttpOnly = true, SameSite = SameSiteMode.Lax });
}
