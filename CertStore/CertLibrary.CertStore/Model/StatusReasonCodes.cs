namespace CertLibrary.CertStore.Model;

/// <summary>
/// The reason codes of a status change, modelled on RFC 5280's CRLReason. Only a code is public (transparency log,
/// verify answers, lookups by other departments); the free text given with it is sealed and shown only to the issuing
/// department, the holder and administrators.
/// </summary>
public static class StatusReasonCodes
{
    /// <summary>Replaced by a new version (set by <c>POST …/versions</c>, never given by a caller).</summary>
    public const string Superseded = "superseded";

    /// <summary>The holder asked for it.</summary>
    public const string HolderRequest = "holderRequest";

    /// <summary>The certificate should not have been issued (wrong holder, wrong data).</summary>
    public const string IssuedInError = "issuedInError";

    /// <summary>The holder died (or, for an organisation, was dissolved).</summary>
    public const string HolderDeceased = "holderDeceased";

    /// <summary>The facts the certificate attests changed (address, grade, scope).</summary>
    public const string DataChanged = "dataChanged";

    /// <summary>The activity the certificate licenses has ended.</summary>
    public const string CessationOfOperation = "cessationOfOperation";

    /// <summary>The certificate (or the document it was printed on) was lost, stolen or misused.</summary>
    public const string KeyCompromise = "keyCompromise";

    /// <summary>The issuing department withdrew the right the certificate grants (a sanction, an inspection).</summary>
    public const string PrivilegeWithdrawn = "privilegeWithdrawn";

    /// <summary>Anything else; also the code of a request that gives only a free-text <c>reason</c>.</summary>
    public const string Other = "other";

    /// <summary>Every code, in documentation order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Superseded, HolderRequest, IssuedInError, HolderDeceased, DataChanged, CessationOfOperation, KeyCompromise, PrivilegeWithdrawn, Other];

    /// <summary>Whether <paramref name="code"/> is one of <see cref="All"/> (case-sensitive).</summary>
    public static bool IsKnown(string? code) => code is not null && All.Contains(code, StringComparer.Ordinal);
}
