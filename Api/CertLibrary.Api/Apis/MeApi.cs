using System.Text.Json.Nodes;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>The signed-in citizen's own data (SPEC §6): certificates, consent setting, consents and the access log.</summary>
public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me").WithTags("Citizen").RequireAuthorization();
        group.MapGet("/certificates", CertificatesAsync).WithName("MyCertificates")
            .WithSummary("My certificates").WithDescription("Every current certificate of the signed-in citizen, with live status.");
        group.MapGet("/settings", GetSettingsAsync).WithName("MySettings")
            .WithSummary("My settings").WithDescription("Whether departments need my consent before they may read my certificates.");
        group.MapPut("/settings", PutSettingsAsync).WithName("UpdateMySettings")
            .WithSummary("Change my settings").WithDescription("Body {consentRequired}. Takes effect for the next lookup.");
        group.MapGet("/consents", ListConsentsAsync).WithName("MyConsents")
            .WithSummary("My consents").WithDescription("Every consent I granted, newest first, with its state (active, withdrawn, expired).");
        group.MapPost("/consents", GrantAsync).WithName("GrantConsent")
            .WithSummary("Grant a consent")
            .WithDescription("Body {department, typeCodes | serviceItem, expiresAt} (at most 366 days ahead). Lets one department read those types, or the materials of that item.");
        group.MapPost("/consents/{id}/withdraw", WithdrawAsync).WithName("WithdrawConsent")
            .WithSummary("Withdraw a consent").WithDescription("Immediate: the next lookup the consent covered is refused.");
        group.MapGet("/access-log", AccessLogAsync).WithName("MyAccessLog")
            .WithSummary("Who used my certificates")
            .WithDescription("Every lookup and read of my certificates (department, client, purpose, service item, certificates, time, result), newest first; page from 1, pageSize 1–100 (default 20).");
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

        var result = await manager.GrantConsentAsync(me, body!, cancellationToken);
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

        var names = await DepartmentNamesAsync(store, cancellationToken);
        var value = result.Value!;
        return TypedResults.Ok(new AccessLogPageDto(value.Page, value.PageSize, value.Total, [.. value.Items.Select(e => new AccessLogEntryDto(
            e.Id, e.At, e.Action, e.DepartmentCode is { } code ? new DepartmentRef(code, names.GetValueOrDefault(code)) : null, e.ClientId, e.Purpose,
            e.ServiceItem, e.CertificateIds, e.Result))]));
    }

    private static async Task<IReadOnlyDictionary<string, string>> DepartmentNamesAsync(ICertificateStore store, CancellationToken cancellationToken) =>
        (await store.ListDepartmentsAsync(cancellationToken)).ToDictionary(d => d.Code, d => d.Name, StringComparer.Ordinal);

    /// <summary>Body of <c>PUT /api/v1/me/settings</c>.</summary>
    public sealed record SettingsRequest(bool? ConsentRequired);
}
