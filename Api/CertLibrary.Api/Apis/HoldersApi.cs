using CertLibrary.Api.Apis.Contracts;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.OneNumber;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>One-number lookup (一号申请, SPEC §6). The identity number travels only in the body, never in a URL.</summary>
public static class HoldersApi
{
    public static RouteGroupBuilder MapHoldersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/holders").WithTags("One-number lookup").RequireAuthorization(Policies.Read);
        group.MapPost("/lookup", LookupAsync).WithName("LookupHolder").RequireRateLimiting(EdgeSecurity.LookupRateLimitPolicy)
            .WithSummary("Look up a holder's certificates by identity number")
            .WithDescription("Body {idNumber | creditCode, purpose (1–200 characters, mandatory), serviceItem?}: a citizen by identity number or an organisation by credit code (no consent applies to organisations). Answers only certificate types of that kind of holder the calling " +
                "department may use, narrowed to the service item's materials, with satisfied and missing materials (only valid certificates " +
                "satisfy). 403 urn:certlib:problem:consent-required when the holder requires consent and none covers the request. Every call is " +
                "recorded in the holder's access log. Rate limited per department (CERTLIB_LOOKUP_PER_MINUTE): 429 with Retry-After.");
        return group;
    }

    private static async Task<Results<Ok<LookupResponse>, ProblemHttpResult>> LookupAsync(
        HttpRequest request, OneNumberManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<LookupRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await manager.LookupAsync(request.HttpContext.User.ToAccessCaller(), body!.ToCommand(time), cancellationToken);
        return result.Succeeded ? TypedResults.Ok(LookupResponse.From(result.Value!)) : Problems.From(result.Error!);
    }
}
