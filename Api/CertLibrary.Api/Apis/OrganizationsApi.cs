using CertLibrary.Api.Apis.Contracts;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Representatives;
using CertLibrary.Identifiers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>
/// Representatives of organisation holders (SPEC §3): an administrator (<c>certlib.admin</c>) or a department that issued
/// the organisation a certificate (<c>certlib.issue</c>) links a citizen as legal representative or authorised agent, and
/// unlinks them. Identity numbers travel only in bodies; credit codes are public registrations and name the route.
/// </summary>
public static class OrganizationsApi
{
    public static RouteGroupBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/organizations/{creditCode}/representatives").WithTags("Organisations").RequireAuthorization();
        group.MapPost("/", LinkAsync).WithName("LinkRepresentative")
            .WithSummary("Link a citizen as representative of an organisation")
            .WithDescription("Body {idNumber, role: legal-representative | agent, organizationName? (only when the organisation holds no certificate here)}. " +
                "Administrators, or a department that issued the organisation a certificate. A new role replaces the old one. Audited.");
        group.MapPost("/remove", UnlinkAsync).WithName("UnlinkRepresentative")
            .WithSummary("Unlink a representative")
            .WithDescription("Body {idNumber}. Takes effect at once on every node: the citizen's next request for the organisation answers 403. Audited.");
        group.MapGet("/", ListAsync).WithName("ListRepresentatives")
            .WithSummary("An organisation's representatives and their audit")
            .WithDescription("Representatives (identity numbers masked) and the newest 200 audit entries: link, unlink, switch (a representative acting for the organisation).");
        return group;
    }

    private static async Task<Results<Created<Representative>, ProblemHttpResult>> LinkAsync(
        string creditCode, HttpRequest request, RepresentativeManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        if (MayManage(request.HttpContext) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await JsonBody.ReadAsync<RepresentativeRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.LinkAsync(request.HttpContext.User.ToCaller(), body!.ToCommand(creditCode, time), cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/organizations/{creditCode.ToUpperInvariant()}/representatives", result.Value!)
            : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<Representative>, ProblemHttpResult>> UnlinkAsync(
        string creditCode, HttpRequest request, RepresentativeManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        if (MayManage(request.HttpContext) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await JsonBody.ReadAsync<RepresentativeRemoval>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!CreditCode.TryParse(creditCode, out var organization, out var codeError))
        {
            errors["creditCode"] = [codeError];
        }

        if (!CitizenId.TryParse(body!.IdNumber, time, out var citizen, out var idError))
        {
            errors["idNumber"] = [body.IdNumber is null ? "The representative's identity number is required." : idError];
        }

        if (errors.Count > 0)
        {
            return Problems.From(CertStore.Model.CertStoreError.Invalid(errors));
        }

        var result = await manager.UnlinkAsync(request.HttpContext.User.ToCaller(), organization, citizen, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(result.Value!) : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<RepresentativesView>, ProblemHttpResult>> ListAsync(
        string creditCode, HttpContext context, RepresentativeManager manager, CancellationToken cancellationToken)
    {
        if (MayManage(context) is { } refused)
        {
            return refused;
        }

        if (!CreditCode.TryParse(creditCode, out var organization, out var codeError))
        {
            return Problems.Validation("creditCode", codeError);
        }

        var result = await manager.ListAsync(context.User.ToCaller(), organization, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(result.Value!) : Problems.From(result.Error!);
    }

    /// <summary>Null for a token with <c>certlib.admin</c> or <c>certlib.issue</c>; otherwise the 403 to answer.</summary>
    private static ProblemHttpResult? MayManage(HttpContext context)
    {
        if (context.User.HasScope(CallerExtensions.AdminScope) || context.User.HasScope(CallerExtensions.IssueScope))
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer error=\"insufficient_scope\", scope=\"certlib.admin certlib.issue\"";
        return Problems.Create(StatusCodes.Status403Forbidden, "insufficient-scope", "This is not permitted.",
            "Representatives are managed with scope certlib.admin or certlib.issue.");
    }
}
