using CertLibrary.CertStore.Model;
using CertLibrary.Identifiers;

namespace CertLibrary.CertStore.OneNumber;

/// <summary>
/// A service item to add or replace; certificate types parsed by the API. Values are validated by
/// <see cref="OneNumberManager"/>; a type code that did not parse is null with its reason in <see cref="InputErrors"/>
/// (<c>requiredMaterials[i].typeCode</c>).
/// </summary>
public sealed record ServiceItemCommand(
    string? Code, string? Name, IReadOnlyList<MaterialCommand>? RequiredMaterials, GuideCommand? Guide)
{
    public IReadOnlyDictionary<string, string[]> InputErrors { get; init; } = CommandErrors.None;
}

/// <summary>One material; <c>required</c> defaults to true.</summary>
public sealed record MaterialCommand(CertificateTypeCode? TypeCode, bool Required);

/// <summary>Guide fields of a service item.</summary>
public sealed record GuideCommand(string? LegalBasis, string? AcceptingUnit, int? TimeLimitDays);

/// <summary>
/// A one-number lookup of a citizen (<c>idNumber</c>) or an organisation (<c>creditCode</c>); the holder is null when
/// the number or code did not parse (its key, <c>idNumber</c> or <c>creditCode</c>, in <see cref="InputErrors"/>).
/// </summary>
public sealed record LookupCommand(HolderId? Holder, string? Purpose, string? ServiceItem)
{
    public IReadOnlyDictionary<string, string[]> InputErrors { get; init; } = CommandErrors.None;
}

/// <summary>
/// A consent to grant: either type codes or a service item. The department or a type code is null when it did not parse
/// (<c>department</c>, <c>typeCodes[i]</c> in <see cref="InputErrors"/>).
/// </summary>
public sealed record ConsentCommand(CreditCode? Department, IReadOnlyList<CertificateTypeCode?>? TypeCodes, string? ServiceItem, DateTimeOffset? ExpiresAt)
{
    public IReadOnlyDictionary<string, string[]> InputErrors { get; init; } = CommandErrors.None;
}

/// <summary>Answer of a lookup: the visible certificates and, for a service item, which materials are satisfied.</summary>
/// <param name="ServiceItem">The item looked up for, if any.</param>
/// <param name="Certificates">Current versions of the holder's certificates the caller may see, any status.</param>
/// <param name="Satisfied">Materials with at least one valid certificate (null without a service item).</param>
/// <param name="Missing">Materials without a valid certificate (null without a service item).</param>
/// <param name="CheckedAt">When the statuses were read.</param>
public sealed record LookupResult(
    ServiceItem? ServiceItem, IReadOnlyList<Certificate> Certificates, IReadOnlyList<MaterialResult>? Satisfied, IReadOnlyList<MaterialResult>? Missing,
    DateTimeOffset CheckedAt);

/// <summary>One material of a lookup for a service item.</summary>
/// <param name="TypeCode">Certificate type.</param>
/// <param name="TypeName">Type name.</param>
/// <param name="Required">Whether the item requires it.</param>
/// <param name="Certificates">The holder's certificates of this type the caller may see (valid ones first).</param>
/// <param name="Reason">For a missing material: <c>no-certificate</c>, <c>not-valid</c> (only suspended, revoked or expired ones), <c>not-permitted</c> (the department may not use the type, or the consent does not cover it) or <c>other-holder-kind</c> (the type is held by the other kind of holder: look it up by <c>idNumber</c> or <c>creditCode</c>).</param>
public sealed record MaterialResult(string TypeCode, string? TypeName, bool Required, IReadOnlyList<Certificate> Certificates, string? Reason);
