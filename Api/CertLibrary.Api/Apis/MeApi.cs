using System.Text.Json.Nodes;
using CertLibrary.Api.Apis.Contracts;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>
/// The signed-in citizen's own data (SPEC §6): certificates, consent setting, consents, the access log and the clients
/// the citizen authorized. Reads need scope <c>certlib.me.read</c>, changes <c>certlib.me.manage</c>; a token without
/// it answers 403 <c>insufficient_scope</c>.
/// </summary>
public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me").WithTags("Citizen").RequireAuthorization();
        group.MapGet("/certificates", CertificatesAsync).WithName("MyCertificates")
            .RequireAuthorization(Policies.MeRead)
            .WithSummary("My certificates").WithDescription("Every current certificate of the signed-in citizen, with live status.");
        group.MapGet("/settings", GetSettingsAsync).WithName("MySettings").RequireAuthorization(Policies.MeRead)
            .WithSummary("My settings").WithDescription("Whether departments need my consent before they may read my certificates.");
        group.MapPut("/settings", PutSettingsAsync).WithName("UpdateMySettings").RequireAuthorization(Policies.MeManage)
            .WithSummary("Change my settings").WithDescription("Body {consentRequired}. Takes effect for the next lookup.");
        group.MapGet("/consents", ListConsentsAsync).WithName("MyConsents").RequireAuthorization(Policies.MeRead)
            .WithSummary("My consents").WithDescription("Every consent I granted, newest first, with its state (active, withdrawn, expired).");
        group.MapPost("/consents", GrantAsync).WithName("GrantConsent").RequireAuthorization(Policies.MeManage)
            .WithSummary("Grant a consent")
            .WithDescription("Body {department, typeCodes | serviceItem, expiresAt} (at most 366 days ahead). Lets one department read those types, or the materials of that item.");
        group.MapPost("/consents/{id}/withdraw", WithdrawAsync).WithName("WithdrawConsent").RequireAuthorization(Policies.MeManage)
            .WithSummary("Withdraw a consent").WithDescription("Immediate: the next lookup the consent covered is refused.");
        group.MapGet("/access-log", AccessLogAsync).WithName("MyAccessLog").RequireAuthorization(Policies.MeRead)
            .WithSummary("Who used my certificates")
            .WithDescription("Every lookup and read of my certificates (department, client, purpose, service item, certificates, time, result), newest first; page from 1, pageSize 1–100 (default 20).");
        group.MapGet("/authorized-clients", AuthorizedClientsAsync).WithName("MyAuthorizedClients").RequireAuthorization(Policies.MeRead)
            .WithSummary("Applications I authorized")
            .WithDescription("Every third-party application I allowed, on the provider's consent screen, to use my account (scopes certlib.me.read, certlib.me.manage), with the scopes and when.");
        group.MapDelete("/authorized-clients/{clientId}", RevokeClientAsync).WithName("RevokeAuthorizedClient").RequireAuthorization(Policies.MeManage)
            .WithSummary("Revoke an application")
            .WithDescription("Immediate: the application's refresh tokens and the access tokens issued to it for me stop working, and its next sign-in asks me again. 404 when I never authorized it.");
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<JsonObject>>, ProblemHttpResult>> CertificatesAsync(
        HttpContext context, CitizenManager citizens, CertificateManager certificates, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        IReadOnlyList<JsonObject> list = [.. (await certificates.ListByHolderAsync(me, reader: null, cancellationToken)).Where(c => c.SupersededBy is null).Select(CertificateDto.From)];
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<SettingsDto>, ProblemHttpResult>> GetSettingsAsync(
        HttpContext context, CitizenManager citizens, OneNumberManager manager, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        return TypedResults.Ok(new SettingsDto(await manager.IsConsentRequiredAsync(me, cancellationToken)));
    }

    private static async Task<Results<Ok<SettingsDto>, ProblemHttpResult>> PutSettingsAsync(
        HttpRequest request, CitizenManager citizens, OneNumberManager manager, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(request.HttpContext.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        var (body, problem) = await JsonBody.ReadAsync<SettingsRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.ConsentRequired is not { } required)
        {
            return Problems.Validation("consentRequired", "consentRequired (true or false) is required.");
        }

        await manager.SetConsentRequiredAsync(me, required, cancellationToken);
        return TypedResults.Ok(new SettingsDto(required));
    }

    private static async Task<Results<Ok<IReadOnlyList<ConsentDto>>, ProblemHttpResult>> ListConsentsAsync(
        HttpContext context, CitizenManager citizens, OneNumberManager manager, ICertificateStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        var names = await DepartmentNamesAsync(store, cancellationToken);
        var now = time.GetUtcNow();
        IReadOnlyList<ConsentDto> list = [.. (await manager.ListConsentsAsync(me, cancellationToken)).Select(c => ConsentDto.From(c, names.GetValueOrDefault(c.DepartmentCode), now))];
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Created<ConsentDto>, ProblemHttpResult>> GrantAsync(
        HttpRequest request, CitizenManager citizens, OneNumberManager manager, ICertificateStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(request.HttpContext.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        var (body, problem) = await JsonBody.ReadAsync<ConsentRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.GrantConsentAsync(me, body!.ToCommand(), cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Error!);
        }

        var consent = result.Value!;
        var name = (await store.FindDepartmentAsync(consent.DepartmentCode, cancellationToken))?.Name;
        return TypedResults.Created($"/api/v1/me/consents/{consent.Id}", ConsentDto.From(consent, name, time.GetUtcNow()));
    }

    private static async Task<Results<Ok<ConsentDto>, ProblemHttpResult>> WithdrawAsync(
        string id, HttpContext context, CitizenManager citizens, OneNumberManager manager, ICertificateStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        var result = await manager.WithdrawConsentAsync(me, id, cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Error!);
        }

        var name = (await store.FindDepartmentAsync(result.Value!.DepartmentCode, cancellationToken))?.Name;
        return TypedResults.Ok(ConsentDto.From(result.Value, name, time.GetUtcNow()));
    }

    private static async Task<Results<Ok<AccessLogPageDto>, ProblemHttpResult>> AccessLogAsync(
        int? page, int? pageSize, HttpContext context, CitizenManager citizens, OneNumberManager manager, ICertificateStore store, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        var result = await manager.ListAccessLogAsync(me, page, pageSize, cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Error!);
        }

        return TypedResults.Ok(await ToDtoAsync(result.Value!, store, cancellationToken));
    }

    /// <summary>An access-log page as answered, with department names.</summary>
    internal static async Task<AccessLogPageDto> ToDtoAsync(AccessLogPage value, ICertificateStore store, CancellationToken cancellationToken)
    {
        var names = await DepartmentNamesAsync(store, cancellationToken);
        return new AccessLogPageDto(value.Page, value.PageSize, value.Total, [.. value.Items.Select(e => new AccessLogEntryDto(
            e.Id, e.At, e.Action, e.DepartmentCode is { } code ? new DepartmentRef(code, names.GetValueOrDefault(code)) : null, e.ClientId, e.Purpose,
            e.ServiceItem, e.CertificateIds, e.Result))]);
    }

    private static async Task<Results<Ok<IReadOnlyList<AuthorizedClientDto>>, ProblemHttpResult>> AuthorizedClientsAsync(
        HttpContext context, CitizenManager citizens, ClientConsentManager clientConsents, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is null)
        {
            return CitizenPrincipal.NotACitizen();
        }

        IReadOnlyList<AuthorizedClientDto> list = [.. (await clientConsents.ListAsync(context.User.FindFirst("sub")!.Value, cancellationToken))
            .Select(c => new AuthorizedClientDto(c.ClientId, c.ClientName, c.Scopes, c.GrantedAt, c.UpdatedAt))];
        return TypedResults.Ok(list);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeClientAsync(
        string clientId, HttpContext context, CitizenManager citizens, ClientConsentManager clientConsents, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is null)
        {
            return CitizenPrincipal.NotACitizen();
        }

        return await clientConsents.RevokeAsync(context.User.FindFirst("sub")!.Value, clientId, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.Create(StatusCodes.Status404NotFound, "not-found", "Not found.", "You have not authorized an application with this client id.");
    }

    private static async Task<IReadOnlyDictionary<string, string>> DepartmentNamesAsync(ICertificateStore store, CancellationToken cancellationToken) =>
        (await store.ListDepartmentsAsync(cancellationToken)).ToDictionary(d => d.Code, d => d.Name, StringComparer.Ordinal);

    /// <summary>Body of <c>PUT /api/v1/me/settings</c>.</summary>
    public sealed record SettingsRequest(bool? ConsentRequired);

    /// <summary>An application the citizen authorized (an item of <c>GET /api/v1/me/authorized-clients</c>).</summary>
    public sealed record AuthorizedClientDto(string ClientId, string Name, IReadOnlyList<string> Scopes, DateTimeOffset GrantedAt, DateTimeOffset UpdatedAt);
}
