using CertLibrary.CertStore.Model;

namespace CertLibrary.CertStore.OneNumber;

/// <summary>Body of <c>POST /api/v1/admin/service-items</c>. Raw values: validated by <see cref="OneNumberManager"/>.</summary>
public sealed record ServiceItemRequest(string? Code, string? Name, IReadOnlyList<MaterialInput?>? RequiredMaterials, GuideInput? Guide);

/// <summary>One material as sent by an administrator; <c>required</c> defaults to true.</summary>
public sealed record MaterialInput(string? TypeCode, bool? Required);

/// <summary>Guide fields as sent by an administrator.</summary>
public sealed record GuideInput(string? LegalBasis, string? AcceptingUnit, int? TimeLimitDays);

/// <summary>Body of <c>POST /api/v1/holders/lookup</c> (SPEC §6).</summary>
public sealed record LookupRequest(string? IdNumber, string? Purpose, string? ServiceItem);

/// <summary>Body of <c>POST /api/v1/me/consents</c>: either type codes or a service item.</summary>
public sealed record ConsentRequest(string? Department, IReadOnlyList<string?>? TypeCodes, string? ServiceItem, DateTimeOffset? ExpiresAt);

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
/// <param name="Reason">For a missing material: <c>no-certificate</c>, <c>not-valid</c> (only suspended, revoked or expired ones) or <c>not-permitted</c> (the department may not use the type, or the consent does not cover it).</param>
public sealed record MaterialResult(string TypeCode, string? TypeName, bool Required, IReadOnlyList<Certificate> Certificates, string? Reason);
