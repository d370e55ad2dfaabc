using CertLibrary.Api.Apis.Contracts;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Stores;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>Service items (政务服务事项): administration and the public catalogue (SPEC §3, §8).</summary>
public static class ServiceItemsApi
{
    public static IEndpointRouteBuilder MapServiceItemsApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin/service-items").WithTags("Administration").RequireAuthorization(Policies.Admin);
        admin.MapPost("/", CreateAsync).WithName("CreateServiceItem")
            .WithSummary("Define a service item")
            .WithDescription("Code, name, the certificate types it needs (each required or optional) and its published guide (legal basis, accepting unit, time limit).");
        admin.MapGet("/", ListAsync).WithName("ListServiceItemsAdmin")
            .WithSummary("List service items").WithDescription("Every service item with its materials and guide.");
        admin.MapGet("/{code}", GetAsync).WithName("GetServiceItemAdmin")
            .WithSummary("Read a service item").WithDescription("One service item with its materials and guide.");
        admin.MapPut("/{code}", ReplaceAsync).WithName("ReplaceServiceItem")
            .WithSummary("Replace a service item").WithDescription("Replaces name, materials and guide; the code in the path wins.");
        admin.MapDelete("/{code}", DeleteAsync).WithName("DeleteServiceItem")
            .WithSummary("Delete a service item").WithDescription("Removes the item from the catalogue; consents that named it cover nothing any more.");

        var catalogue = app.MapGroup("/api/v1/service-items").WithTags("Service items").AllowAnonymous();
        catalogue.MapGet("/", ListAsync).WithName("ListServiceItems")
            .WithSummary("Public catalogue of service items").WithDescription("Every service item and the certificates it needs; no token required.");
        catalogue.MapGet("/{code}", GetAsync).WithName("GetServiceItem")
            .WithSummary("One service item of the catalogue").WithDescription("What the item needs and its published guide; no token required.");
        return app;
    }

    private static async Task<Results<Created<ServiceItemDto>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, OneNumberManager manager, ICertificateStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ServiceItemRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.SaveServiceItemAsync(body!.ToCommand(), null, cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/service-items/{result.Value!.Code}", ServiceItemDto.From(result.Value, await TypeNamesAsync(store, cancellationToken)))
            : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<ServiceItemDto>, ProblemHttpResult>> ReplaceAsync(
        string code, HttpRequest request, OneNumberManager manager, ICertificateStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ServiceItemRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.SaveServiceItemAsync(body!.ToCommand(), code, cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(ServiceItemDto.From(result.Value!, await TypeNamesAsync(store, cancellationToken)))
            : Problems.From(result.Error!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string code, IServiceItemStore items, CancellationToken cancellationToken) =>
        await items.DeleteAsync(code, cancellationToken) ? TypedResults.NoContent() : Problems.From(CertStoreError.NotFound("Service item"));

    private static async Task<Ok<IReadOnlyList<ServiceItemDto>>> ListAsync(IServiceItemStore items, ICertificateStore store, CancellationToken cancellationToken)
    {
        var names = await TypeNamesAsync(store, cancellationToken);
        IReadOnlyList<ServiceItemDto> list = [.. (await items.ListAsync(cancellationToken)).Select(i => ServiceItemDto.From(i, names))];
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<ServiceItemDto>, ProblemHttpResult>> GetAsync(
        string code, IServiceItemStore items, ICertificateStore store, CancellationToken cancellationToken) =>
        await items.FindAsync(code, cancellationToken) is { } item
            ? TypedResults.Ok(ServiceItemDto.From(item, await TypeNamesAsync(store, cancellationToken)))
            : Problems.From(CertStoreError.NotFound("Service item"));

    private static async Task<IReadOnlyDictionary<string, string>> TypeNamesAsync(ICertificateStore store, CancellationToken cancellationToken) =>
        (await store.ListTypesAsync(cancellationToken)).ToDictionary(t => t.Code, t => t.Name, StringComparer.Ordinal);
}
