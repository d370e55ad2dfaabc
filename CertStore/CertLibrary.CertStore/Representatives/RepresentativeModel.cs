namespace CertLibrary.CertStore.Representatives;

/// <summary>The roles a citizen can have for an organisation (SPEC §3).</summary>
public static class RepresentativeRoles
{
    /// <summary>法定代表人.</summary>
    public const string LegalRepresentative = "legal-representative";

    /// <summary>An authorised agent (经办人/授权代理人).</summary>
    public const string Agent = "agent";

    public static bool IsKnown(string? role) => role is LegalRepresentative or Agent;
}

/// <summary>What the representative audit records.</summary>
public static class RepresentativeActions
{
    public const string Link = "link";
    public const string Unlink = "unlink";
    public const string Switch = "switch";
}

/// <summary>A citizen's link to an organisation, as stored (the citizen only by holder key and a sealed number).</summary>
/// <param name="CitizenKey">The citizen's holder key.</param>
/// <param name="CreditCode">The organisation.</param>
/// <param name="Role">One of <see cref="RepresentativeRoles"/>.</param>
/// <param name="OrganizationName">The organisation's registered name.</param>
/// <param name="SealedCitizen">The citizen's identity number, sealed to this row.</param>
/// <param name="LinkedAt">When the link was made.</param>
/// <param name="LinkedBy">The client that made it.</param>
/// <param name="LinkedByDepartment">Its department (null for an administrator without one).</param>
public sealed record RepresentativeLink(
    string CitizenKey, string CreditCode, string Role, string OrganizationName, byte[] SealedCitizen, DateTimeOffset LinkedAt, string LinkedBy,
    string? LinkedByDepartment);

/// <summary>A link as shown: the representative's identity number masked (first 4 and last 4 characters).</summary>
public sealed record Representative(string MaskedIdNumber, string Role, string OrganizationName, DateTimeOffset LinkedAt, string LinkedBy, string? LinkedByDepartment);

/// <summary>One audited event: a link, an unlink or a representative's switch to the organisation. Append-only.</summary>
/// <param name="Id">Time-ordered random identifier.</param>
/// <param name="At">When.</param>
/// <param name="Action">One of <see cref="RepresentativeActions"/>.</param>
/// <param name="CitizenKey">The representative's holder key (never the number).</param>
/// <param name="Role">The role linked, unlinked or acted in.</param>
/// <param name="ClientId">The client that acted: the administrator's or department's, or the portal's for a switch.</param>
/// <param name="DepartmentCode">The acting department, if any.</param>
public sealed record RepresentativeAuditEntry(string Id, DateTimeOffset At, string Action, string CitizenKey, string? Role, string ClientId, string? DepartmentCode);

/// <summary>Links of citizens to organisations and their audit.</summary>
public interface IRepresentativeStore
{
    /// <summary>Adds or replaces (new role) a link and appends its audit entry in one transaction.</summary>
    Task SaveAsync(RepresentativeLink link, RepresentativeAuditEntry audit, CancellationToken cancellationToken);

    /// <summary>Removes a link and appends its audit entry in one transaction; false when there was no link.</summary>
    Task<bool> RemoveAsync(string citizenKey, string creditCode, RepresentativeAuditEntry audit, CancellationToken cancellationToken);

    Task<RepresentativeLink?> FindAsync(string citizenKey, string creditCode, CancellationToken cancellationToken);

    /// <summary>The organisations a citizen represents.</summary>
    Task<IReadOnlyList<RepresentativeLink>> ListByCitizenAsync(string citizenKey, CancellationToken cancellationToken);

    /// <summary>The representatives of an organisation.</summary>
    Task<IReadOnlyList<RepresentativeLink>> ListByOrganizationAsync(string creditCode, CancellationToken cancellationToken);

    Task AppendAuditAsync(string creditCode, RepresentativeAuditEntry entry, CancellationToken cancellationToken);

    /// <summary>The audit of an organisation, newest first.</summary>
    Task<IReadOnlyList<RepresentativeAuditEntry>> ListAuditAsync(string creditCode, int limit, CancellationToken cancellationToken);
}
