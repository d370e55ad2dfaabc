namespace CertLibrary.TransparencyLog;

/// <summary>The event types a transparency log entry can record (SPEC §7).</summary>
public static class LogEventTypes
{
    /// <summary>A certificate was issued.</summary>
    public const string Issue = "issue";

    /// <summary>A certificate was superseded by a new one.</summary>
    public const string Supersede = "supersede";

    /// <summary>A certificate was suspended.</summary>
    public const string Suspend = "suspend";

    /// <summary>A suspended certificate was reinstated.</summary>
    public const string Reinstate = "reinstate";

    /// <summary>A certificate was revoked.</summary>
    public const string Revoke = "revoke";

    /// <summary>An issuer key was added to the trust list.</summary>
    public const string KeyAdded = "key-added";

    /// <summary>An issuer key was rotated (retired in favour of a new one).</summary>
    public const string KeyRotated = "key-rotated";

    /// <summary>An issuer key was revoked.</summary>
    public const string KeyRevoked = "key-revoked";

    /// <summary>Whether <paramref name="eventType"/> is an event about a certificate (it needs a certificate id).</summary>
    /// <param name="eventType">The event type.</param>
    /// <returns><see langword="true"/> for issue, supersede, suspend, reinstate and revoke.</returns>
    public static bool IsCertificateEvent(string? eventType) =>
        eventType is Issue or Supersede or Suspend or Reinstate or Revoke;

    /// <summary>Whether <paramref name="eventType"/> is an event about an issuer key (it needs a kid).</summary>
    /// <param name="eventType">The event type.</param>
    /// <returns><see langword="true"/> for key-added, key-rotated and key-revoked.</returns>
    public static bool IsKeyEvent(string? eventType) => eventType is KeyAdded or KeyRotated or KeyRevoked;
}
