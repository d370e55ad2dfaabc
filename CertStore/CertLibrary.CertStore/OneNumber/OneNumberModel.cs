namespace CertLibrary.CertStore.OneNumber;

/// <summary>A government service item (政务服务事项): the certificate types a case needs and its published guide (SPEC §3).</summary>
/// <param name="Code">Item code (1 to 64 of <c>[0-9A-Za-z._-]</c>).</param>
/// <param name="Name">Item name as published.</param>
/// <param name="RequiredMaterials">Certificate types the case needs, each required or optional.</param>
/// <param name="Guide">The published guide fields.</param>
public sealed record ServiceItem(string Code, string Name, IReadOnlyList<ServiceMaterial> RequiredMaterials, ServiceGuide Guide);

/// <summary>One material of a service item: a certificate type and whether the case cannot go on without it.</summary>
/// <param name="TypeCode">Certificate type code.</param>
/// <param name="Required">Required (true) or optional (false).</param>
public sealed record ServiceMaterial(string TypeCode, bool Required);

/// <summary>The published guide (办事指南) fields of a service item.</summary>
/// <param name="LegalBasis">Legal basis (设定依据).</param>
/// <param name="AcceptingUnit">Accepting unit (受理单位).</param>
/// <param name="TimeLimitDays">Promised time limit in working days (承诺时限).</param>
public sealed record ServiceGuide(string LegalBasis, string AcceptingUnit, int TimeLimitDays);

/// <summary>A holder's consent letting one department look up certificates of some types or for one service item.</summary>
/// <param name="Id">Random identifier.</param>
/// <param name="DepartmentCode">The department the consent is granted to.</param>
/// <param name="TypeCodes">Certificate types covered (empty when the consent is for a service item).</param>
/// <param name="ServiceItem">Service item covered (null when the consent is for types).</param>
/// <param name="ExpiresAt">After this time the consent covers nothing.</param>
/// <param name="CreatedAt">When it was granted.</param>
/// <param name="WithdrawnAt">When the holder withdrew it, if so.</param>
public sealed record Consent(
    string Id, string DepartmentCode, IReadOnlyList<string> TypeCodes, string? ServiceItem, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, DateTimeOffset? WithdrawnAt)
{
    /// <summary>Whether the consent is in force at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => WithdrawnAt is null && ExpiresAt > now;

    /// <summary><c>active</c>, <c>withdrawn</c> or <c>expired</c>.</summary>
    public string State(DateTimeOffset now) => WithdrawnAt is not null ? "withdrawn" : ExpiresAt > now ? "active" : "expired";
}

/// <summary>One read of a holder's certificates (SPEC §6). Append-only: there is no way to change or delete one.</summary>
/// <param name="Id">Time-ordered random identifier.</param>
/// <param name="At">When the read happened.</param>
/// <param name="Action"><c>lookup</c>, <c>read</c>, <c>qr</c> or <c>pdf</c>.</param>
/// <param name="DepartmentCode">The reading department (null for an administrator without one).</param>
/// <param name="ClientId">The OAuth client (or caseworker subject) that read.</param>
/// <param name="Purpose">The stated purpose (申请事由), when given.</param>
/// <param name="ServiceItem">The service item, when given.</param>
/// <param name="CertificateIds">The certificates returned.</param>
/// <param name="Result"><c>ok</c> or <c>consent-required</c>.</param>
public sealed record AccessLogEntry(
    string Id, DateTimeOffset At, string Action, string? DepartmentCode, string ClientId, string? Purpose, string? ServiceItem,
    IReadOnlyList<string> CertificateIds, string Result);

/// <summary>Read kinds recorded in the access log.</summary>
public static class AccessActions
{
    public const string Lookup = "lookup";
    public const string Read = "read";
    public const string Qr = "qr";
    public const string Pdf = "pdf";
}

/// <summary>Results recorded in the access log.</summary>
public static class AccessResults
{
    public const string Ok = "ok";
    public const string ConsentRequired = "consent-required";
}

/// <summary>One page of a holder's access log, newest first.</summary>
public sealed record AccessLogPage(int Page, int PageSize, long Total, IReadOnlyList<AccessLogEntry> Items);
