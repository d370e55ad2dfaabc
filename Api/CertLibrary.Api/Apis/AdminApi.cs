using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identifiers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>Administration (scope <c>certlib.admin</c>): departments and certificate types (SPEC §8).</summary>
public static class AdminApi
{
    private static readonly HashSet<string> QrModes = new(StringComparer.Ordinal) { "offline", "online", "both" };

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(Policies.Admin);
        group.MapPost("/departments", AddDepartmentAsync).WithName("CreateDepartment")
            .WithSummary("Register a department").WithDescription("Code is the department's unified social credit code (GB 32100).");
        group.MapGet("/departments", async (ICertificateStore store, CancellationToken ct) => TypedResults.Ok(await store.ListDepartmentsAsync(ct)))
            .WithName("ListDepartments").WithSummary("List departments").WithDescription("Every registered department.");
        group.MapPost("/certificate-types", AddTypeAsync).WithName("CreateCertificateType")
            .WithSummary("Define a certificate type").WithDescription("Face-field schema, holderKind (citizen, the default, or organization: holders named by credit code), validity, QR mode, and the departments allowed to issue and to use it.");
        group.MapGet("/certificate-types", async (ICertificateStore store, CancellationToken ct) => TypedResults.Ok(await store.ListTypesAsync(ct)))
            .WithName("ListCertificateTypes").WithSummary("List certificate types").WithDescription("Every certificate type with its schema and rights.");
        return group;
    }

    private static async Task<Results<Created<Department>, ProblemHttpResult>> AddDepartmentAsync(
        HttpRequest request, ICertificateStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<DepartmentRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (!CreditCode.TryParse(body!.Code, out var code, out var codeError))
        {
            errors["code"] = [codeError];
        }

        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100)
        {
            errors["name"] = ["A name of 1 to 100 characters is required."];
        }

        if (errors.Count > 0)
        {
            return Problems.From(CertStoreError.Invalid(errors));
        }

        var department = new Department(code.ToString(), body.Name!.Trim(), time.GetUtcNow());
        return await store.AddDepartmentAsync(department, cancellationToken)
            ? TypedResults.Created($"/api/v1/admin/departments/{department.Code}", department)
            : Problems.Create(StatusCodes.Status409Conflict, "exists", "Already exists.", $"Department {department.Code} exists already.");
    }

    private static async Task<Results<Created<CertificateType>, ProblemHttpResult>> AddTypeAsync(
        HttpRequest request, ICertificateStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<CertificateTypeRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (!CertificateTypeCode.TryParse(body!.Code, out var code, out var codeError))
        {
            errors["code"] = [codeError];
        }

        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100)
        {
            errors["name"] = ["A name of 1 to 100 characters is required."];
        }

        var fields = body.Fields ?? [];
        for (var i = 0; i < fields.Count; i++)
        {
            var f = fields[i];
            if (f is null || string.IsNullOrWhiteSpace(f.Name) || f.Name.Length > 64 || !f.Name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                errors[$"fields[{i}].name"] = ["A field name of 1 to 64 ASCII letters, digits or '_' is required."];
            }
            else if (!FieldDefinition.Types.Contains(f.Type))
            {
                errors[$"fields[{i}].type"] = ["type must be string, date, number or boolean."];
            }
            else if (fields.Take(i).Any(o => o?.Name == f.Name))
            {
                errors[$"fields[{i}].name"] = [$"Field '{f.Name}' is defined twice."];
            }
        }

        if (body.ValidityYears is < 1 or > 100)
        {
            errors["validityYears"] = ["validityYears must be between 1 and 100."];
        }

        if (body.QrMode is not null && !QrModes.Contains(body.QrMode))
        {
            errors["qrMode"] = ["qrMode must be offline, online or both."];
        }

        if (body.QrAlgorithm is not null and not ("ES256" or "SM2"))
        {
            errors["qrAlgorithm"] = ["qrAlgorithm must be ES256 or SM2."];
        }

        if (body.QrSuites is { } qrSuites
            && (qrSuites.Count is 0 or > 2 || qrSuites.Any(s => s is not ("SM2" or "ES256")) || qrSuites.Distinct().Count() != qrSuites.Count))
        {
            errors["qrSuites"] = ["qrSuites lists SM2 and/or ES256, each at most once (default [\"SM2\", \"ES256\"])."];
        }

        if (body.HolderKind is not null && !HolderKinds.IsKnown(body.HolderKind))
        {
            errors["holderKind"] = ["holderKind must be citizen or organization."];
        }

        var issuers = await CheckDepartmentsAsync("issuers", body.Issuers, store, errors, cancellationToken);
        var users = await CheckDepartmentsAsync("users", body.Users, store, errors, cancellationToken);
        if (errors.Count > 0)
        {
            return Problems.From(CertStoreError.Invalid(errors));
        }

        var type = new CertificateType
        {
            Code = code.ToString(),
            Name = body.Name!.Trim(),
            HolderKind = body.HolderKind ?? HolderKinds.Citizen,
            Fields = [.. fields.Select(f => f! with { })],
            ValidityYears = body.ValidityYears,
            QrMode = body.QrMode ?? "both",
            QrAlgorithm = body.QrAlgorithm ?? "ES256",
            QrSuites = body.QrSuites is { } suites ? [.. suites.OfType<string>()] : CertificateType.DefaultQrSuites,
            Issuers = issuers,
            Users = users,
        };
        return await store.AddTypeAsync(type, time.GetUtcNow(), cancellationToken)
            ? TypedResults.Created($"/api/v1/admin/certificate-types/{type.Code}", type)
            : Problems.Create(StatusCodes.Status409Conflict, "exists", "Already exists.", $"Certificate type {type.Code} exists already.");
    }

    private static async Task<IReadOnlyList<string>> CheckDepartmentsAsync(
        string field, IReadOnlyList<string?>? codes, ICertificateStore store, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        foreach (var (raw, i) in (codes ?? []).Select((c, i) => (c, i)))
        {
            if (!CreditCode.TryParse(raw, out var code, out var error))
            {
                errors[$"{field}[{i}]"] = [error];
            }
            else if (await store.FindDepartmentAsync(code.ToString(), cancellationToken) is null)
            {
                errors[$"{field}[{i}]"] = [$"Department {code} is not registered."];
            }
            else if (!result.Contains(code.ToString()))
            {
                result.Add(code.ToString());
            }
        }

        return result;
    }

    /// <summary>Body of <c>POST /api/v1/admin/departments</c>.</summary>
    public sealed record DepartmentRequest(string? Code, string? Name);

    /// <summary>Body of <c>POST /api/v1/admin/certificate-types</c>.</summary>
    public sealed record CertificateTypeRequest(
        string? Code, string? Name, IReadOnlyList<FieldDefinition?>? Fields, int? ValidityYears, string? QrMode, string? QrAlgorithm,
        IReadOnlyList<string?>? Issuers, IReadOnlyList<string?>? Users, IReadOnlyList<string?>? QrSuites = null, string? HolderKind = null);
}
