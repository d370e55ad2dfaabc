using System.Text.Json.Nodes;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Representatives;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>
/// A signed-in citizen acting for an organisation they represent (SPEC §3): its certificates, their QR codes and who
/// read them. Every request checks the link in the database, so an unlink answers 403 from the next request on, on
/// every node; switching to an organisation is audited. Same scopes as the citizen's own data: reads need
/// <c>certlib.me.read</c>, the switch (a POST) also <c>certlib.me.manage</c>.
/// </summary>
public static class MeOrganizationsApi
{
    public static RouteGroupBuilder MapMeOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me/organizations").WithTags("Citizen").RequireAuthorization(Policies.MeRead);
        group.MapGet("/", ListAsync).WithName("MyOrganizations")
            .WithSummary("Organisations I represent").WithDescription("Credit code, name and my role (legal-representative or agent) for each.");
        group.MapPost("/{creditCode}/switch", SwitchAsync).WithName("SwitchToOrganization").RequireAuthorization(Policies.MeManage)
            .WithSummary("Act for an organisation").WithDescription("Audited (the organisation's administrators and issuing departments see it). 403 when I am not its representative.");
        group.MapGet("/{creditCode}/certificates", CertificatesAsync).WithName("OrganizationCertificates")
            .WithSummary("The organisation's certificates").WithDescription("Every current certificate the organisation holds, with live status. 403 when I am not its representative.");
        group.MapGet("/{creditCode}/certificates/{id}/qr", QrAsync).WithName("OrganizationCertificateQr")
            .WithSummary("The QR code of one of the organisation's certificates")
            .WithDescription("As /api/v1/me/certificates/{id}/qr: the organisation's name is not masked and the offline QR has no holder binding. 403 when I am not its representative, 404 for a certificate it does not hold.");
        group.MapGet("/{creditCode}/access-log", AccessLogAsync).WithName("OrganizationAccessLog")
            .WithSummary("Who used the organisation's certificates").WithDescription("As /api/v1/me/access-log, for the organisation. 403 when I am not its representative.");
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<OrganizationDto>>, ProblemHttpResult>> ListAsync(
        HttpContext context, CitizenManager citizens, RepresentativeManager representatives, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        IReadOnlyList<OrganizationDto> list = [.. (await representatives.OrganizationsOfAsync(me, cancellationToken)).Select(OrganizationDto.From)];
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<OrganizationDto>, ProblemHttpResult>> SwitchAsync(
        string creditCode, HttpContext context, CitizenManager citizens, RepresentativeManager representatives, CancellationToken cancellationToken)
    {
        var (me, organization, problem) = await ResolveAsync(creditCode, context, citizens, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var link = await representatives.SwitchAsync(me, organization, context.User.ToCaller().ClientId, cancellationToken);
        return link.Succeeded ? TypedResults.Ok(OrganizationDto.From(link.Value!)) : Problems.From(link.Error!);
    }

    private static async Task<Results<Ok<IReadOnlyList<JsonObject>>, ProblemHttpResult>> CertificatesAsync(
        string creditCode, HttpContext context, CitizenManager citizens, RepresentativeManager representatives, CertificateManager certificates,
        CancellationToken cancellationToken)
    {
        var (held, problem) = await HeldAsync(creditCode, context, citizens, representatives, certificates, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        IReadOnlyList<JsonObject> list = [.. held!.Where(c => c.SupersededBy is null).Select(CertificateDto.From)];
        return TypedResults.Ok(list);
    }

    private static async Task<IResult> QrAsync(
        string creditCode, string id, string? form, string? purpose, HttpContext context, CitizenManager citizens, RepresentativeManager representatives,
        CertificateManager certificates, [AsParameters] QrApi.QrServices qr, CancellationToken cancellationToken)
    {
        var (held, problem) = await HeldAsync(creditCode, context, citizens, representatives, certificates, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return held!.FirstOrDefault(c => string.Equals(c.Payload.Id, id, StringComparison.Ordinal)) is { } certificate
            ? await QrApi.RenderAsync(context, certificate, form, purpose, qr, cancellationToken)
            : Problems.Create(StatusCodes.Status404NotFound, "not-found", "Not found.", "The organisation holds no certificate with this id.");
    }

    private static async Task<Results<Ok<AccessLogPageDto>, ProblemHttpResult>> AccessLogAsync(
        string creditCode, int? page, int? pageSize, HttpContext context, CitizenManager citizens, RepresentativeManager representatives,
        OneNumberManager manager, ICertificateStore store, CancellationToken cancellationToken)
    {
        var (me, organization, problem) = await ResolveAsync(creditCode, context, citizens, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var link = await representatives.AuthorizeAsync(me, organization, cancellationToken);
        if (!link.Succeeded)
        {
            return Problems.From(link.Error!);
        }

        var result = await manager.ListAccessLogAsync(HolderId.ForOrganization(organization), page, pageSize, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(await MeApi.ToDtoAsync(result.Value!, store, cancellationToken)) : Problems.From(result.Error!);
    }

    /// <summary>The organisation's certificates when the signed-in citizen represents it; else the problem to answer.</summary>
    private static async Task<(IReadOnlyList<Certificate>? Held, ProblemHttpResult? Problem)> HeldAsync(
        string creditCode, HttpContext context, CitizenManager citizens, RepresentativeManager representatives, CertificateManager certificates,
        CancellationToken cancellationToken)
    {
        var (me, organization, problem) = await ResolveAsync(creditCode, context, citizens, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        var link = await representatives.AuthorizeAsync(me, organization, cancellationToken);
        return link.Succeeded
            ? (await certificates.ListByHolderAsync(HolderId.ForOrganization(organization), reader: null, cancellationToken), null)
            : (null, Problems.From(link.Error!));
    }

    private static async Task<(CitizenId Me, CreditCode Organization, ProblemHttpResult? Problem)> ResolveAsync(
        string creditCode, HttpContext context, CitizenManager citizens, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return (default, default, CitizenPrincipal.NotACitizen());
        }

        return CreditCode.TryParse(creditCode, out var organization, out var error)
            ? (me, organization, null)
            : (me, default, Problems.Validation("creditCode", error));
    }

    /// <summary>An organisation the citizen represents.</summary>
    public sealed record OrganizationDto(string CreditCode, string Name, string Role, DateTimeOffset LinkedAt)
    {
        public static OrganizationDto From(RepresentativeLink link) => new(link.CreditCode, link.OrganizationName, link.Role, link.LinkedAt);
    }
}
