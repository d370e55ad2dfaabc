using System.Text;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.Data;
using CertLibrary.Identifiers;

namespace CertLibrary.CertStore.Representatives;

/// <summary>
/// Representatives of organisations (SPEC §3): an administrator or a department that issued the organisation a
/// certificate links a citizen as legal representative or authorised agent, and unlinks them; the linked citizen acts
/// for the organisation with their own account. Links are read from the database on every check, never cached, so an
/// unlink takes effect at once on every node. Every link, unlink and switch is audited.
/// </summary>
public sealed class RepresentativeManager(IRepresentativeStore store, CertificateManager certificates, PersonalDataProtector protector, TimeProvider time)
{
    /// <summary>Most audit entries one read returns.</summary>
    public const int AuditPageSize = 200;

    /// <summary>Links <paramref name="command"/>'s citizen to its organisation (a new role replaces the old one).</summary>
    public async Task<CertStoreResult<Representative>> LinkAsync(Caller caller, LinkRepresentativeCommand command, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(command.InputErrors, StringComparer.Ordinal);
        if (!RepresentativeRoles.IsKnown(command.Role))
        {
            errors["role"] = [$"role must be {RepresentativeRoles.LegalRepresentative} or {RepresentativeRoles.Agent}."];
        }

        if (command.Organization is not { } organization || command.Citizen is not { } citizen || errors.Count > 0)
        {
            return CertStoreError.Invalid(errors);
        }

        var held = await certificates.ListByHolderAsync(HolderId.ForOrganization(organization), caller, cancellationToken);
        if (!MayManage(caller, held))
        {
            return NotPermitted();
        }

        var name = held.Where(c => c.SupersededBy is null).OrderByDescending(c => c.Payload.IssuedAt).Select(c => c.Payload.Holder.Name).FirstOrDefault()
            ?? command.OrganizationName?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            return CertStoreError.Invalid("organizationName", "The organisation holds no certificate here yet: give its registered name (1 to 200 characters).");
        }

        var now = time.GetUtcNow();
        var citizenKey = protector.HolderKey(citizen);
        var code = organization.ToString();
        var link = new RepresentativeLink(citizenKey, code, command.Role!, name,
            protector.Seal(Encoding.ASCII.GetBytes(citizen.ToString()), AssociatedData(citizenKey, code)), now, caller.ClientId, caller.DepartmentCode);
        await store.SaveAsync(link, Audit(now, RepresentativeActions.Link, citizenKey, link.Role, caller), cancellationToken);
        return Show(link);
    }

    /// <summary>Removes a citizen's link: from the next request on, on every node, they can no longer act for the organisation.</summary>
    public async Task<CertStoreResult<Representative>> UnlinkAsync(
        Caller caller, CreditCode organization, CitizenId citizen, CancellationToken cancellationToken)
    {
        var held = await certificates.ListByHolderAsync(HolderId.ForOrganization(organization), caller, cancellationToken);
        if (!MayManage(caller, held))
        {
            return NotPermitted();
        }

        var citizenKey = protector.HolderKey(citizen);
        var link = await store.FindAsync(citizenKey, organization.ToString(), cancellationToken);
        if (link is null
            || !await store.RemoveAsync(citizenKey, link.CreditCode, Audit(time.GetUtcNow(), RepresentativeActions.Unlink, citizenKey, link.Role, caller), cancellationToken))
        {
            return CertStoreError.NotFound("Representative");
        }

        return Show(link);
    }

    /// <summary>The organisation's representatives and the audit of links and switches, for an administrator or an issuing department.</summary>
    public async Task<CertStoreResult<RepresentativesView>> ListAsync(Caller caller, CreditCode organization, CancellationToken cancellationToken)
    {
        var held = await certificates.ListByHolderAsync(HolderId.ForOrganization(organization), caller, cancellationToken);
        if (!MayManage(caller, held))
        {
            return NotPermitted();
        }

        var code = organization.ToString();
        var links = await store.ListByOrganizationAsync(code, cancellationToken);
        var audit = await store.ListAuditAsync(code, AuditPageSize, cancellationToken);
        return new RepresentativesView(code, [.. links.Select(Show)], audit);
    }

    /// <summary>The organisations <paramref name="citizen"/> represents.</summary>
    public Task<IReadOnlyList<RepresentativeLink>> OrganizationsOfAsync(CitizenId citizen, CancellationToken cancellationToken) =>
        store.ListByCitizenAsync(protector.HolderKey(citizen), cancellationToken);

    /// <summary>The citizen's link to the organisation, or forbidden: read from the database, so an unlink counts at once.</summary>
    public async Task<CertStoreResult<RepresentativeLink>> AuthorizeAsync(CitizenId citizen, CreditCode organization, CancellationToken cancellationToken) =>
        await store.FindAsync(protector.HolderKey(citizen), organization.ToString(), cancellationToken) is { } link
            ? link
            : new CertStoreError(CertStoreErrorKind.Forbidden, "not-a-representative", "You are not registered as a representative of this organisation.");

    /// <summary>The citizen switches to acting for the organisation (audited); forbidden when not linked.</summary>
    public async Task<CertStoreResult<RepresentativeLink>> SwitchAsync(CitizenId citizen, CreditCode organization, string clientId, CancellationToken cancellationToken)
    {
        var link = await AuthorizeAsync(citizen, organization, cancellationToken);
        if (link.Succeeded)
        {
            await store.AppendAuditAsync(link.Value!.CreditCode,
                Audit(time.GetUtcNow(), RepresentativeActions.Switch, link.Value.CitizenKey, link.Value.Role, new Caller(clientId, null, false)), cancellationToken);
        }

        return link;
    }

    /// <summary>An administrator, or a department that issued the organisation a certificate (谁发证、谁管理).</summary>
    private static bool MayManage(Caller caller, IReadOnlyList<Certificate> held) =>
        caller.IsAdmin || (caller.DepartmentCode is { } department && held.Any(c => c.Payload.Issuer.Code == department));

    private static CertStoreError NotPermitted() => new(CertStoreErrorKind.Forbidden, "not-permitted",
        "Only an administrator or a department that issued this organisation a certificate may manage its representatives.");

    private static RepresentativeAuditEntry Audit(DateTimeOffset now, string action, string citizenKey, string? role, Caller caller) =>
        new(Guid.CreateVersion7(now).ToString("N"), now, action, citizenKey, role, caller.ClientId, caller.DepartmentCode);

    private Representative Show(RepresentativeLink link)
    {
        var number = Encoding.ASCII.GetString(protector.Open(link.SealedCitizen, AssociatedData(link.CitizenKey, link.CreditCode)));
        return new Representative(number[..4] + new string('*', number.Length - 8) + number[^4..], link.Role, link.OrganizationName, link.LinkedAt,
            link.LinkedBy, link.LinkedByDepartment);
    }

    private static string AssociatedData(string citizenKey, string creditCode) => $"representative#{citizenKey}#{creditCode}";
}

/// <summary>A link to make; identifiers parsed by the API (a null one has its reason in <see cref="InputErrors"/>: <c>creditCode</c>, <c>idNumber</c>).</summary>
public sealed record LinkRepresentativeCommand(CreditCode? Organization, CitizenId? Citizen, string? Role, string? OrganizationName)
{
    public IReadOnlyDictionary<string, string[]> InputErrors { get; init; } = CommandErrors.None;
}

/// <summary>An organisation's representatives (numbers masked) and the newest audit entries.</summary>
public sealed record RepresentativesView(string CreditCode, IReadOnlyList<Representative> Representatives, IReadOnlyList<RepresentativeAuditEntry> Audit);
