using System.Text.RegularExpressions;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Data;
using CertLibrary.Identifiers;

namespace CertLibrary.CertStore.OneNumber;

/// <summary>
/// The one-number service (一号申请, SPEC §6): service items, lookups with a stated purpose, the holder's consents,
/// and the append-only access log every read writes to.
/// </summary>
public sealed partial class OneNumberManager(
    CertificateManager certificates,
    ICertificateStore store,
    IServiceItemStore items,
    IConsentStore consents,
    IAccessLogStore accessLog,
    PersonalDataProtector protector,
    TimeProvider time)
{
    /// <summary>Longest stated purpose.</summary>
    public const int MaxPurposeLength = 200;

    /// <summary>Furthest a consent may reach into the future.</summary>
    public static readonly TimeSpan MaxConsentLifetime = TimeSpan.FromDays(366);

    /// <summary>Largest access-log page.</summary>
    public const int MaxPageSize = 100;

    /// <summary>Validates and adds (or, with <paramref name="replaceCode"/>, replaces) a service item.</summary>
    public async Task<CertStoreResult<ServiceItem>> SaveServiceItemAsync(ServiceItemCommand request, string? replaceCode, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var code = (replaceCode ?? request.Code)?.Trim();
        if (code is null || !ServiceItemCode().IsMatch(code))
        {
            errors["code"] = ["A code of 1 to 64 ASCII letters, digits, '.', '-' or '_' is required."];
        }

        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            errors["name"] = ["A name of 1 to 200 characters is required."];
        }

        var materials = new List<ServiceMaterial>();
        if (request.RequiredMaterials is not { Count: > 0 and <= 50 } inputs)
        {
            errors["requiredMaterials"] = ["1 to 50 materials are required."];
        }
        else
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].TypeCode is not { } typeCode)
                {
                    request.InputErrors.Take($"requiredMaterials[{i}].typeCode", errors);
                }
                else if (await store.FindTypeAsync(typeCode.ToString(), cancellationToken) is null)
                {
                    errors[$"requiredMaterials[{i}].typeCode"] = [$"Certificate type {typeCode} does not exist."];
                }
                else if (materials.Any(m => m.TypeCode == typeCode.ToString()))
                {
                    errors[$"requiredMaterials[{i}].typeCode"] = [$"Certificate type {typeCode} is listed twice."];
                }
                else
                {
                    materials.Add(new ServiceMaterial(typeCode.ToString(), inputs[i].Required));
                }
            }
        }

        var guide = request.Guide;
        if (guide is null)
        {
            errors["guide"] = ["The guide (legalBasis, acceptingUnit, timeLimitDays) is required."];
        }
        else
        {
            if (string.IsNullOrWhiteSpace(guide.LegalBasis) || guide.LegalBasis.Trim().Length > 1000)
            {
                errors["guide.legalBasis"] = ["A legal basis of 1 to 1000 characters is required."];
            }

            if (string.IsNullOrWhiteSpace(guide.AcceptingUnit) || guide.AcceptingUnit.Trim().Length > 200)
            {
                errors["guide.acceptingUnit"] = ["An accepting unit of 1 to 200 characters is required."];
            }

            if (guide.TimeLimitDays is not (>= 0 and <= 365))
            {
                errors["guide.timeLimitDays"] = ["timeLimitDays (working days, 0 to 365) is required."];
            }
        }

        if (errors.Count > 0)
        {
            return CertStoreError.Invalid(errors);
        }

        var item = new ServiceItem(code!, name!, materials, new ServiceGuide(guide!.LegalBasis!.Trim(), guide.AcceptingUnit!.Trim(), guide.TimeLimitDays!.Value));
        var now = time.GetUtcNow();
        if (replaceCode is null)
        {
            return await items.AddAsync(item, now, cancellationToken)
                ? item
                : new CertStoreError(CertStoreErrorKind.Conflict, "exists", $"Service item {item.Code} exists already.");
        }

        return await items.ReplaceAsync(item, now, cancellationToken) ? item : CertStoreError.NotFound("Service item");
    }

    /// <summary>
    /// One-number lookup. Validation comes first; the consent check comes before any certificate is read, so a refusal
    /// looks the same whether or not the person holds certificates. Every answered or refused lookup is logged.
    /// </summary>
    public async Task<CertStoreResult<LookupResult>> LookupAsync(Caller caller, LookupCommand request, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.Holder is not { } holder)
        {
            holder = default;
            request.InputErrors.Take(request.InputErrors.ContainsKey("creditCode") ? "creditCode" : "idNumber", errors);
        }

        var purpose = ValidatePurpose(request.Purpose, required: true, errors, "purpose");
        ServiceItem? item = null;
        if (request.ServiceItem is { } itemCode)
        {
            item = await items.FindAsync(itemCode.Trim(), cancellationToken);
            if (item is null)
            {
                errors["serviceItem"] = ["This service item does not exist."];
            }
        }

        if (errors.Count > 0)
        {
            return CertStoreError.Invalid(errors);
        }

        if (caller.DepartmentCode is not { } department)
        {
            return new CertStoreError(CertStoreErrorKind.Forbidden, "no-department", "Only a department may look up a holder's certificates.");
        }

        var now = time.GetUtcNow();
        var holderKey = protector.HolderKey(holder);
        // Independent cached reads (each a generation check, a Redis round trip when Redis is configured): in parallel.
        // Organisations are public registrations: no consent applies to them (SPEC §3), every read is still logged.
        var typesRead = store.ListTypesAsync(cancellationToken);
        var consentRead = holder.IsOrganization ? Task.FromResult<HashSet<string>?>(null) : ConsentedTypesAsync(holderKey, department, item, now, cancellationToken);
        await Task.WhenAll(typesRead, consentRead);
        var types = (await typesRead).ToDictionary(t => t.Code, StringComparer.Ordinal);
        var scope = types.Values.Where(t => t.Users.Contains(department) && t.HolderKind == holder.Kind).Select(t => t.Code).ToHashSet(StringComparer.Ordinal);
        if (item is not null)
        {
            scope.IntersectWith(item.RequiredMaterials.Select(m => m.TypeCode));
        }

        var consented = await consentRead;
        if (consented is not null)
        {
            if (consented.Count == 0)
            {
                await AppendAsync(holderKey, caller, AccessActions.Lookup, purpose, item?.Code, [], AccessResults.ConsentRequired, now, cancellationToken);
                return ConsentRequired();
            }

            scope.IntersectWith(consented);
        }

        var found = (await certificates.ListByHolderAsync(holder, caller, cancellationToken))
            .Where(c => c.SupersededBy is null && scope.Contains(c.Payload.TypeCode))
            .OrderBy(c => c.Payload.TypeCode, StringComparer.Ordinal).ThenBy(c => c.Status == CertificateStatus.Valid ? 0 : 1).ThenByDescending(c => c.Payload.IssuedAt)
            .ToList();

        List<MaterialResult>? satisfied = null, missing = null;
        if (item is not null)
        {
            satisfied = [];
            missing = [];
            foreach (var material in item.RequiredMaterials)
            {
                var ofType = found.Where(c => c.Payload.TypeCode == material.TypeCode).ToList();
                var name = types.GetValueOrDefault(material.TypeCode)?.Name;
                if (types.GetValueOrDefault(material.TypeCode) is { } materialType && materialType.HolderKind != holder.Kind)
                {
                    missing.Add(new MaterialResult(material.TypeCode, name, material.Required, [], "other-holder-kind"));
                }
                else if (!scope.Contains(material.TypeCode))
                {
                    missing.Add(new MaterialResult(material.TypeCode, name, material.Required, [], "not-permitted"));
                }
                else if (ofType.Any(c => c.Status == CertificateStatus.Valid))
                {
                    satisfied.Add(new MaterialResult(material.TypeCode, name, material.Required, ofType, null));
                }
                else
                {
                    missing.Add(new MaterialResult(material.TypeCode, name, material.Required, ofType, ofType.Count == 0 ? "no-certificate" : "not-valid"));
                }
            }
        }

        await AppendAsync(holderKey, caller, AccessActions.Lookup, purpose, item?.Code, [.. found.Select(c => c.Payload.Id)], AccessResults.Ok, now, cancellationToken);
        return new LookupResult(item, found, satisfied, missing, now);
    }

    /// <summary>
    /// Records a single-certificate read (by id, QR, PDF) and enforces the holder's consent setting for departments
    /// that use, but did not issue, the certificate. The issuing department and administrators are logged but not refused.
    /// </summary>
    public async Task<CertStoreResult<Certificate>> RecordReadAsync(
        Caller caller, Certificate certificate, string action, string? purpose, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        purpose = ValidatePurpose(purpose, required: false, errors, "purpose");
        if (errors.Count > 0)
        {
            return CertStoreError.Invalid(errors);
        }

        var now = time.GetUtcNow();
        if (!caller.IsAdmin && caller.DepartmentCode is { } department && department != certificate.Payload.Issuer.Code
            && certificate.Payload.Holder.Kind == HolderKinds.Citizen)
        {
            var consented = await ConsentedTypesAsync(certificate.HolderKey, department, null, now, cancellationToken);
            if (consented is not null && !consented.Contains(certificate.Payload.TypeCode))
            {
                await AppendAsync(certificate.HolderKey, caller, action, purpose, null, [], AccessResults.ConsentRequired, now, cancellationToken);
                return ConsentRequired();
            }
        }

        await AppendAsync(certificate.HolderKey, caller, action, purpose, null, [certificate.Payload.Id], AccessResults.Ok, now, cancellationToken);
        return certificate;
    }

    /// <summary>Whether the holder requires consent.</summary>
    public Task<bool> IsConsentRequiredAsync(CitizenId holder, CancellationToken cancellationToken) =>
        consents.IsConsentRequiredAsync(protector.HolderKey(holder), cancellationToken);

    /// <summary>Switches the holder's consent requirement on or off.</summary>
    public Task SetConsentRequiredAsync(CitizenId holder, bool required, CancellationToken cancellationToken) =>
        consents.SetConsentRequiredAsync(protector.HolderKey(holder), required, time.GetUtcNow(), cancellationToken);

    /// <summary>Every consent the holder ever granted, newest first.</summary>
    public Task<IReadOnlyList<Consent>> ListConsentsAsync(CitizenId holder, CancellationToken cancellationToken) =>
        consents.ListAsync(protector.HolderKey(holder), cancellationToken);

    /// <summary>Grants a consent to one department for some certificate types or one service item.</summary>
    public async Task<CertStoreResult<Consent>> GrantConsentAsync(CitizenId holder, ConsentCommand request, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        if (request.Department is not { } department)
        {
            department = default;
            request.InputErrors.Take("department", errors);
        }
        else if (await store.FindDepartmentAsync(department.ToString(), cancellationToken) is null)
        {
            errors["department"] = [$"Department {department} is not registered."];
        }

        var typeCodes = new List<string>();
        var hasTypes = request.TypeCodes is { Count: > 0 };
        if (hasTypes == (request.ServiceItem is not null))
        {
            errors["typeCodes"] = ["Give either typeCodes (1 to 50) or serviceItem."];
        }
        else if (hasTypes)
        {
            for (var i = 0; i < request.TypeCodes!.Count && i < 50; i++)
            {
                if (request.TypeCodes[i] is not { } typeCode)
                {
                    request.InputErrors.Take($"typeCodes[{i}]", errors);
                }
                else if (await store.FindTypeAsync(typeCode.ToString(), cancellationToken) is null)
                {
                    errors[$"typeCodes[{i}]"] = [$"Certificate type {typeCode} does not exist."];
                }
                else if (!typeCodes.Contains(typeCode.ToString()))
                {
                    typeCodes.Add(typeCode.ToString());
                }
            }

            if (request.TypeCodes.Count > 50)
            {
                errors["typeCodes"] = ["At most 50 type codes."];
            }
        }
        else if (await items.FindAsync(request.ServiceItem!, cancellationToken) is null)
        {
            errors["serviceItem"] = ["This service item does not exist."];
        }

        if (request.ExpiresAt is not { } expiresAt)
        {
            errors["expiresAt"] = ["expiresAt is required."];
        }
        else if (expiresAt <= now || expiresAt > now + MaxConsentLifetime)
        {
            errors["expiresAt"] = [$"expiresAt must be in the future and at most {MaxConsentLifetime.TotalDays:0} days ahead."];
        }

        if (errors.Count > 0)
        {
            return CertStoreError.Invalid(errors);
        }

        var consent = new Consent(Guid.CreateVersion7(now).ToString("N"), department.ToString(), typeCodes, hasTypes ? null : request.ServiceItem,
            request.ExpiresAt!.Value.ToUniversalTime(), now, null);
        await consents.AddAsync(protector.HolderKey(holder), consent, cancellationToken);
        return consent;
    }

    /// <summary>Withdraws a consent at once: the next lookup it covered is refused.</summary>
    public async Task<CertStoreResult<Consent>> WithdrawConsentAsync(CitizenId holder, string id, CancellationToken cancellationToken)
    {
        var holderKey = protector.HolderKey(holder);
        var existing = (await consents.ListAsync(holderKey, cancellationToken)).FirstOrDefault(c => c.Id == id);
        if (existing is null)
        {
            return CertStoreError.NotFound("Consent");
        }

        var now = time.GetUtcNow();
        if (existing.WithdrawnAt is not null || !await consents.WithdrawAsync(holderKey, id, now, cancellationToken))
        {
            return existing.WithdrawnAt is null ? CertStoreError.NotFound("Consent") : existing;
        }

        return existing with { WithdrawnAt = now };
    }

    /// <summary>One page (1-based) of the holder's access log, newest first.</summary>
    public async Task<CertStoreResult<AccessLogPage>> ListAccessLogAsync(HolderId holder, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var p = page ?? 1;
        var size = pageSize ?? 20;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (p is < 1 or > 100_000)
        {
            errors["page"] = ["page must be between 1 and 100000."];
        }

        if (size is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        if (errors.Count > 0)
        {
            return CertStoreError.Invalid(errors);
        }

        var (list, total) = await accessLog.ListAsync(protector.HolderKey(holder), (p - 1) * size, size, cancellationToken);
        return new AccessLogPage(p, size, total, list);
    }

    /// <summary>
    /// Null when the holder does not require consent; otherwise the types the department's active consents cover for
    /// this lookup (type consents, plus the item's materials when a consent names the item).
    /// </summary>
    private async Task<HashSet<string>?> ConsentedTypesAsync(string holderKey, string department, ServiceItem? item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await consents.IsConsentRequiredAsync(holderKey, cancellationToken))
        {
            return null;
        }

        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var consent in await consents.ListAsync(holderKey, cancellationToken))
        {
            if (consent.DepartmentCode != department || !consent.IsActive(now))
            {
                continue;
            }

            covered.UnionWith(consent.TypeCodes);
            if (item is not null && consent.ServiceItem == item.Code)
            {
                covered.UnionWith(item.RequiredMaterials.Select(m => m.TypeCode));
            }
        }

        return covered;
    }

    private Task AppendAsync(
        string holderKey, Caller caller, string action, string? purpose, string? serviceItem, IReadOnlyList<string> certificateIds, string result,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        accessLog.AppendAsync(holderKey,
            new AccessLogEntry(Guid.CreateVersion7(now).ToString("N"), now, action, caller.DepartmentCode, caller.ClientId, purpose, serviceItem, certificateIds, result),
            cancellationToken);

    private static CertStoreError ConsentRequired() => new(CertStoreErrorKind.Forbidden, "consent-required",
        "The holder requires consent before a department may read their certificates, and no consent in force covers this request. Ask the holder to grant one.");

    private static string? ValidatePurpose(string? purpose, bool required, Dictionary<string, string[]> errors, string field)
    {
        var trimmed = purpose?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            if (required || purpose is not null)
            {
                errors[field] = [$"A purpose (申请事由) of 1 to {MaxPurposeLength} characters is required."];
            }

            return null;
        }

        if (trimmed.Length > MaxPurposeLength)
        {
            errors[field] = [$"The purpose may be at most {MaxPurposeLength} characters; it has {trimmed.Length}."];
        }
        else if (trimmed.Any(char.IsControl))
        {
            errors[field] = ["The purpose may not contain control characters."];
        }

        return trimmed;
    }

    [GeneratedRegex("^[0-9A-Za-z._-]{1,64}$")]
    private static partial Regex ServiceItemCode();
}
