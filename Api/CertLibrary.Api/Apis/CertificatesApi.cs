using System.Text.Json.Nodes;
using CertLibrary.Api.Apis.Contracts;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CertLibrary.Api.Apis;

/// <summary>The department API for certificates: issue, batch, new version, status changes, read (SPEC §8).</summary>
public static class CertificatesApi
{
    public static RouteGroupBuilder MapCertificatesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/certificates").WithTags("Certificates").RequireAuthorization();

        group.MapPost("/", IssueAsync).WithName("IssueCertificate")
            .WithSummary("Issue one certificate")
            .WithDescription("Issues and signs (SM2 + ES256) a certificate of a type the calling department may issue. Honours Idempotency-Key.")
            .RequireAuthorization(Policies.Issue);
        group.MapPost("/batch", IssueBatchAsync).WithName("IssueCertificateBatch")
            .WithSummary("Issue up to 1,000 certificates")
            .WithDescription("Each item is answered on its own: the created certificate or a problem. All created items commit together. Honours Idempotency-Key.")
            .RequireAuthorization(Policies.Issue);
        group.MapGet("/{id}", GetAsync).WithName("GetCertificate")
            .WithSummary("Read a certificate")
            .WithDescription("Visible to the issuing department, to departments allowed to use the type, and to administrators; 404 for everyone else.")
            .RequireAuthorization(Policies.Read);
        group.MapPost("/{id}/versions", NewVersionAsync).WithName("SupersedeCertificate")
            .WithSummary("Issue a new version")
            .WithDescription("Keeps type, issuer, serial and holder, increments the version, and revokes the previous version as superseded.")
            .RequireAuthorization(Policies.Issue);
        group.MapPost("/{id}/suspend", (string id, HttpRequest request, CertificateManager manager, CancellationToken ct) => ChangeStatusAsync(id, StatusAction.Suspend, request, manager, ct))
            .WithName("SuspendCertificate").WithSummary("Suspend a certificate")
            .WithDescription(StatusChangeDescription).RequireAuthorization(Policies.Issue);
        group.MapPost("/{id}/reinstate", (string id, HttpRequest request, CertificateManager manager, CancellationToken ct) => ChangeStatusAsync(id, StatusAction.Reinstate, request, manager, ct))
            .WithName("ReinstateCertificate").WithSummary("Reinstate a suspended certificate")
            .WithDescription(StatusChangeDescription).RequireAuthorization(Policies.Issue);
        group.MapPost("/{id}/revoke", (string id, HttpRequest request, CertificateManager manager, CancellationToken ct) => ChangeStatusAsync(id, StatusAction.Revoke, request, manager, ct))
            .WithName("RevokeCertificate").WithSummary("Revoke a certificate")
            .WithDescription(StatusChangeDescription + " Permanent. Repeating with the same reasonCode answers the current state; another reasonCode is a 409.")
            .RequireAuthorization(Policies.Issue);
        return group;
    }

    private static readonly string StatusChangeDescription =
        "Only the issuing department. Body {\"reasonCode\", \"reason\"?}: reasonCode is one of " +
        string.Join(", ", StatusReasonCodes.All.Where(c => c != StatusReasonCodes.Superseded)) +
        " (superseded is set by a new version); a reason alone counts as other. " +
        "Only the code is public (transparency log, verification); the free text is sealed and shown only to the issuing department, the holder and administrators.";

    private static async Task<Results<Created<JsonObject>, ProblemHttpResult>> IssueAsync(
        HttpRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CertificateManager manager, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<IssueRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.IssueAsync(request.HttpContext.User.ToCaller(), body!.ToCommand(time), idempotencyKey, cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/certificates/{result.Value!.Payload.Id}", CertificateDto.From(result.Value))
            : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<BatchResponse>, ProblemHttpResult>> IssueBatchAsync(
        HttpRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CertificateManager manager, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<BatchRequest>(request, JsonBody.BatchLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Items is not { } items)
        {
            return Problems.Validation("items", "items is required.");
        }

        if (items.Any(i => i is null))
        {
            return Problems.Validation("items", "Every item must be an object.");
        }

        var result = await manager.IssueBatchAsync(request.HttpContext.User.ToCaller(), [.. items.Select(i => i!.ToCommand(time))], idempotencyKey, cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Error!);
        }

        var answers = result.Value!.Select(r => r.Error is null
            ? new BatchItem(r.Index, StatusCodes.Status201Created, new CertificateJson(r.Certificate!), null)
            : new BatchItem(r.Index, Problems.ToProblemDetails(r.Error).Status!.Value, null, Problems.ToProblemDetails(r.Error))).ToList();
        return TypedResults.Ok(new BatchResponse(answers.Count(a => a.Certificate is not null), answers.Count(a => a.Certificate is null), answers));
    }

    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> GetAsync(
        string id, HttpContext context, CertificateManager manager, CancellationToken cancellationToken)
    {
        var result = await manager.GetAsync(context.User.ToCaller(), id, cancellationToken);
        result = await AccessRecorder.RecordAsync(context, result, CertStore.OneNumber.AccessActions.Read, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(CertificateDto.From(result.Value!)) : Problems.From(result.Error!);
    }

    private static async Task<Results<Created<JsonObject>, ProblemHttpResult>> NewVersionAsync(
        string id, HttpRequest request, CertificateManager manager, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<NewVersionRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.NewVersionAsync(request.HttpContext.User.ToCaller(), id, body!.ToCommand(), cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/certificates/{result.Value!.Payload.Id}", CertificateDto.From(result.Value))
            : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> ChangeStatusAsync(
        string id, StatusAction action, HttpRequest request, CertificateManager manager, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<StatusChangeRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.ChangeStatusAsync(request.HttpContext.User.ToCaller(), id, action, body!.ReasonCode, body.Reason, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(CertificateDto.From(result.Value!)) : Problems.From(result.Error!);
    }

    /// <summary>Answer of a batch issue: counts and one answer per item, in request order.</summary>
    public sealed record BatchResponse(int Created, int Failed, IReadOnlyList<BatchItem> Items);

    /// <summary>
    /// One batch item: HTTP-like status, and the certificate or the problem. The certificate is the same JSON as
    /// <see cref="CertificateDto.From"/>, written straight from its serialised payload and JWS (a batch answers up to
    /// 1,000 of them; building a JSON tree for each would cost about half as much as signing them).
    /// </summary>
    public sealed record BatchItem(int Index, int Status, CertificateJson? Certificate, ProblemDetails? Problem);
}
