using System.Security.Claims;
using CertLibrary.CertStore.Model;

namespace CertLibrary.Api.Infrastructure;

/// <summary>The caller as the access log records it.</summary>
public static class AccessCaller
{
    /// <summary>
    /// Like <see cref="CallerExtensions.ToCaller"/>, but a caseworker's user token (whose <c>sub</c> differs from its
    /// <c>client_id</c>) is recorded as <c>{client_id}/{sub}</c>, so the citizen sees the person, not only the portal.
    /// </summary>
    public static Caller ToAccessCaller(this ClaimsPrincipal user)
    {
        var caller = user.ToCaller();
        return user.FindFirst("sub")?.Value is { Length: > 0 } subject && subject != caller.ClientId
            ? caller with { ClientId = caller.ClientId + "/" + subject }
            : caller;
    }
}
