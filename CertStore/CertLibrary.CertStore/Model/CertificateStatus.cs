namespace CertLibrary.CertStore.Model;

/// <summary>Certificate status names as they appear in the API (SPEC §3).</summary>
public static class CertificateStatus
{
    /// <summary>In force.</summary>
    public const string Valid = "valid";

    /// <summary>Temporarily not in force; may be reinstated.</summary>
    public const string Suspended = "suspended";

    /// <summary>Permanently withdrawn (also the state of a superseded version).</summary>
    public const string Revoked = "revoked";

    /// <summary>Past <c>validUntil</c>; derived at read time, never stored.</summary>
    public const string Expired = "expired";
}
