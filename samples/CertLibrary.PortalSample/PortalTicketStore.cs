using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace CertLibrary.PortalSample;

/// <summary>
/// Keeps the portal's sessions on the server; the cookie holds only a random key. That is what lets a back-channel
/// logout end a session the browser is not part of: the ticket disappears and the cookie then points at nothing.
/// In memory, so one portal instance; several instances would keep this in a shared store (database or Redis).
/// </summary>
internal sealed class PortalTicketStore(TimeProvider time) : ITicketStore
{
    private readonly ConcurrentDictionary<string, AuthenticationTicket> _tickets = new(StringComparer.Ordinal);

    public Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        PurgeExpired();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _tickets[key] = ticket;
        return Task.FromResult(key);
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        // Only a live session is renewed: one that a back-channel logout removed meanwhile must stay removed.
        if (_tickets.TryGetValue(key, out var current))
        {
            _tickets.TryUpdate(key, ticket, current);
        }

        return Task.CompletedTask;
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        if (_tickets.TryGetValue(key, out var ticket) && ticket.Properties.ExpiresUtc is { } expires && expires <= time.GetUtcNow())
        {
            _tickets.TryRemove(key, out _);
            ticket = null;
        }

        return Task.FromResult(ticket);
    }

    public Task RemoveAsync(string key)
    {
        _tickets.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    /// <summary>Ends every session of provider session <paramref name="sid"/> and/or subject <paramref name="subject"/>; returns how many.</summary>
    public int RemoveSessions(string? sid, string? subject)
    {
        var removed = 0;
        foreach (var (key, ticket) in _tickets)
        {
            var principal = ticket.Principal;
            if ((sid is null || principal.FindFirst(PortalClaims.SessionId)?.Value == sid)
                && (subject is null || principal.FindFirst(PortalClaims.Subject)?.Value == subject)
                && _tickets.TryRemove(key, out _))
            {
                removed++;
            }
        }

        return removed;
    }

    private void PurgeExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (key, ticket) in _tickets)
        {
            if (ticket.Properties.ExpiresUtc is { } expires && expires <= now)
            {
                _tickets.TryRemove(key, out _);
            }
        }
    }
}

/// <summary>Claims of the portal's own session, copied from the validated ID token.</summary>
internal static class PortalClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string SessionId = "sid";
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
}
