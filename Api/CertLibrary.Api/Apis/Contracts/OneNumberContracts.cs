using CertLibrary.CertStore.OneNumber;
using CertLibrary.Identifiers;

namespace CertLibrary.Api.Apis.Contracts;

/// <summary>Body of <c>POST /api/v1/admin/service-items</c>: type codes parsed here, the rest validated by <see cref="OneNumberManager"/>.</summary>
public sealed record ServiceItemRequest(string? Code, string? Name, IReadOnlyList<MaterialInput?>? RequiredMaterials, GuideInput? Guide)
{
    public ServiceItemCommand ToCommand()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        List<MaterialCommand>? materials = null;
        if (RequiredMaterials is { } inputs)
        {
            materials = new List<MaterialCommand>(inputs.Count);
            for (var i = 0; i < inputs.Count; i++)
            {
                var raw = inputs[i]?.TypeCode;
                CertificateTypeCode? type = null;
                if (CertificateTypeCode.TryParse(raw, out var typeCode, out var typeError))
                {
                    type = typeCode;
                }
                else
                {
                    errors[$"requiredMaterials[{i}].typeCode"] = [raw is null ? "typeCode is required." : typeError];
                }

                materials.Add(new MaterialCommand(type, inputs[i]?.Required ?? true));
            }
        }

        var guide = Guide is null ? null : new GuideCommand(Guide.LegalBasis, Guide.AcceptingUnit, Guide.TimeLimitDays);
        return new ServiceItemCommand(Code, Name, materials, guide) { InputErrors = errors };
    }
}

/// <summary>One material as sent by an administrator; <c>required</c> defaults to true.</summary>
public sealed record MaterialInput(string? TypeCode, bool? Required);

/// <summary>Guide fields as sent by an administrator.</summary>
public sealed record GuideInput(string? LegalBasis, string? AcceptingUnit, int? TimeLimitDays);

/// <summary>Body of <c>POST /api/v1/holders/lookup</c> (SPEC §6): a citizen's <c>idNumber</c> or an organisation's <c>creditCode</c>.</summary>
public sealed record LookupRequest(string? IdNumber, string? Purpose, string? ServiceItem, string? CreditCode = null)
{
    public LookupCommand ToCommand(TimeProvider time)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var holder = HolderParsing.Parse(IdNumber, CreditCode, time, "", errors);
        return new LookupCommand(holder, Purpose, ServiceItem) { InputErrors = errors };
    }
}

/// <summary>Body of <c>POST /api/v1/me/consents</c>: either type codes or a service item.</summary>
public sealed record ConsentRequest(string? Department, IReadOnlyList<string?>? TypeCodes, string? ServiceItem, DateTimeOffset? ExpiresAt)
{
    /// <summary>Parses the department and the type codes (the manager reads at most 50 of them).</summary>
    public ConsentCommand ToCommand()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CreditCode? department = null;
        if (CreditCode.TryParse(Department, out var code, out var departmentError))
        {
            department = code;
        }
        else
        {
            errors["department"] = [departmentError];
        }

        List<CertificateTypeCode?>? typeCodes = null;
        if (TypeCodes is { } inputs)
        {
            typeCodes = new List<CertificateTypeCode?>(inputs.Count);
            for (var i = 0; i < inputs.Count; i++)
            {
                if (CertificateTypeCode.TryParse(inputs[i], out var typeCode, out var typeError))
                {
                    typeCodes.Add(typeCode);
                }
                else
                {
                    typeCodes.Add(null);
                    errors[$"typeCodes[{i}]"] = [typeError];
                }
            }
        }

        return new ConsentCommand(department, typeCodes, ServiceItem, ExpiresAt) { InputErrors = errors };
    }
}
