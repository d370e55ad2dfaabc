using CertLibrary.CertStore.OnlineVerification;
using Microsoft.Net.Http.Headers;

namespace CertLibrary.Api.Apis;

/// <summary>The signed trust list and the status lists (SPEC §4, §5): public and cacheable by offline verifiers.</summary>
public static class TrustListApi
{
    public static IEndpointRouteBuilder MapTrustListApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Trust").AllowAnonymous();
        group.MapGet("/trust-list", GetTrustListAsync).WithName("GetTrustList")
            .WithSummary("The signed trust list")
            .WithDescription("JWS JSON (ES256 + SM2 by the platform root keys) over {issuedAt, nextUpdate = issuedAt + 24 h, rootKeys, keys}: every issuer key ever used. ETag / If-None-Match.");
        group.MapGet("/status-lists/{listId}", GetStatusListAsync).WithName("GetStatusList")
            .WithSummary("A signed W3C Bitstring Status List")
            .WithDescription("purpose=revocation (default; bit set when revoked or suspended) or purpose=suspension (bit set when suspended). Built from the database on each request, so a revoke shows at once; ETag / If-None-Match → 304.");
        return app;
    }

    private static async Task<IResult> GetTrustListAsync(HttpContext context, TrustListService trustList, CancellationToken cancellationToken)
    {
        var (etag, body) = await trustList.GetAsync(cancellationToken);
        return Cacheable(context, etag, "public, max-age=300", () => Task.FromResult(body));
    }

    private static async Task<IResult> GetStatusListAsync(
        string listId, string? purpose, HttpContext context, StatusListService statusLists, Infrastructure.CertLibrarySettings settings, CancellationToken cancellationToken)
    {
        purpose ??= Verification.StatusListCredential.Revocation;
        if (purpose is not (Verification.StatusListCredential.Revocation or Verification.StatusListCredential.Suspension) || listId.Length > 64)
        {
            return Infrastructure.Problems.Validation("purpose", "purpose is 'revocation' or 'suspension'.");
        }

        var list = await statusLists.GetAsync(listId, purpose, settings.Issuer, cancellationToken);
        if (list is not { } found)
        {
            return Infrastructure.Problems.Create(StatusCodes.Status404NotFound, "not-found", "Not found.", $"No status list {listId}.");
        }

        // no-cache: caches must revalidate (cheap, ETag → 304) so none serves a list from before a revoke.
        return Cacheable(context, found.ETag, "public, no-cache", () => found.Body(cancellationToken));
    }

    private static IResult Cacheable(HttpContext context, string etag, string cacheControl, Func<Task<byte[]>> body)
    {
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = cacheControl;
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*")))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return new BytesResult(body);
    }

    private sealed class BytesResult(Func<Task<byte[]>> body) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var bytes = await body();
            httpContext.Response.ContentType = "application/json";
            httpContext.Response.Headers[HeaderNames.ContentLength] = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await httpContext.Response.Body.WriteAsync(bytes);
        }
    }
}
