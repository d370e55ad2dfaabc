using System.Text.Json.Serialization;
using CertLibrary.CertStore.OneNumber;

namespace CertLibrary.Api.Apis;

/// <summary>A service item as published: materials with their type names, and the guide.</summary>
public sealed record ServiceItemDto(string Code, string Name, IReadOnlyList<ServiceMaterialDto> RequiredMaterials, ServiceGuideDto Guide)
{
    public static ServiceItemDto From(ServiceItem item, IReadOnlyDictionary<string, string> typeNames) => new(
        item.Code,
        item.Name,
        [.. item.RequiredMaterials.Select(m => new ServiceMaterialDto(m.TypeCode, typeNames.GetValueOrDefault(m.TypeCode), m.Required))],
        new ServiceGuideDto(item.Guide.LegalBasis, item.Guide.AcceptingUnit, item.Guide.TimeLimitDays));
}

/// <summary>One material of a service item.</summary>
public sealed record ServiceMaterialDto(string TypeCode, string? TypeName, bool Required);

/// <summary>The published guide of a service item.</summary>
public sealed record ServiceGuideDto(string LegalBasis, string AcceptingUnit, int TimeLimitDays);

/// <summary>Answer of <c>POST /api/v1/holders/lookup</c>.</summary>
/// <param name="ServiceItem">The item looked up for, if any.</param>
/// <param name="Certificates">The holder's current certificates the department may see, with live status.</param>
/// <param name="Complete">For an item: whether every required material is satisfied.</param>
/// <param name="Satisfied">For an item: materials with a valid certificate.</param>
/// <param name="Missing">For an item: materials without one, with the reason.</param>
/// <param name="CheckedAt">When the statuses were read.</param>
public sealed record LookupResponse(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ServiceItemRef? ServiceItem,
    IReadOnlyList<CertificateJson> Certificates,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Complete,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<MaterialDto>? Satisfied,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<MaterialDto>? Missing,
    DateTimeOffset CheckedAt)
{
    public static LookupResponse From(LookupResult result) => new(
        result.ServiceItem is { } item ? new ServiceItemRef(item.Code, item.Name) : null,
        [.. result.Certificates.Select(c => new CertificateJson(c))],
        result.Missing is null ? null : result.Missing.All(m => !m.Required),
        result.Satisfied?.Select(MaterialDto.From).ToList(),
        result.Missing?.Select(MaterialDto.From).ToList(),
        result.CheckedAt);
}

/// <summary>Code and name of a service item.</summary>
public sealed record ServiceItemRef(string Code, string Name);

/// <summary>One material of a lookup: the certificates of that type and, when missing, why.</summary>
public sealed record MaterialDto(
    string TypeCode, string? TypeName, bool Required, IReadOnlyList<MaterialCertificateDto> Certificates,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason)
{
    public static MaterialDto From(MaterialResult m) =>
        new(m.TypeCode, m.TypeName, m.Required, [.. m.Certificates.Select(c => new MaterialCertificateDto(c.Payload.Id, c.Status))], m.Reason);
}

/// <summary>A certificate of a material, by id and live status.</summary>
public sealed record MaterialCertificateDto(string Id, string Status);

/// <summary>A department as shown to a citizen.</summary>
public sealed record DepartmentRef(string Code, string? Name);

/// <summary>A consent as the citizen sees it.</summary>
public sealed record ConsentDto(
    string Id, DepartmentRef Department, IReadOnlyList<string> TypeCodes, string? ServiceItem, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt,
    DateTimeOffset? WithdrawnAt, string State)
{
    public static ConsentDto From(Consent c, string? departmentName, DateTimeOffset now) =>
        new(c.Id, new DepartmentRef(c.DepartmentCode, departmentName), c.TypeCodes, c.ServiceItem, c.ExpiresAt, c.CreatedAt, c.WithdrawnAt, c.State(now));
}

/// <summary>The citizen's settings.</summary>
public sealed record SettingsDto(bool ConsentRequired);

/// <summary>One access-log entry as the citizen sees it.</summary>
public sealed record AccessLogEntryDto(
    string Id, DateTimeOffset At, string Action, DepartmentRef? Department, string ClientId, string? Purpose, string? ServiceItem,
    IReadOnlyList<string> CertificateIds, string Result);

/// <summary>One page of the access log, newest first.</summary>
public sealed record AccessLogPageDto(int Page, int PageSize, long Total, IReadOnlyList<AccessLogEntryDto> Items);
