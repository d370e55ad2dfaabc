using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// What every answer carries at the edge: security headers, CORS for the configured portal origins only, and the
/// per-department rate limit of the one-number lookup with a Problem Details 429.
/// </summary>
public static partial class EdgeSecurity
{
    /// <summary>Rate-limit policy of <c>POST /api/v1/holders/lookup</c>.</summary>
    public const string LookupRateLimitPolicy = "lookup";

    /// <summary>Lookups per minute per department (or per client without one) when <c>CERTLIB_LOOKUP_PER_MINUTE</c> is not set.</summary>
    public const int DefaultLookupsPerMinute = 6000;

    private const string CorsPolicy = "portals";

    /// <summary>The content security policy of HTML answers that do not bring a stricter one of their own.</summary>
    public const string HtmlFramePolicy = "frame-ancestors 'none'";

    public static IServiceCollection AddEdgeSecurity(this IServiceCollection services, CertLibrarySettings settings)
    {
        if (settings.CorsOrigins.Count > 0)
        {
            services.AddCors(o => o.AddPolicy(CorsPolicy, p => p
                .WithOrigins([.. settings.CorsOrigins])
                .WithMethods("GET", "POST")
                .WithHeaders("Authorization", "Content-Type", "Idempotency-Key", "Accept", "Accept-Language")
                .WithExposedHeaders("Location", "Retry-After", "ETag")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        }

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = WriteRateLimitedAsync;
            o.AddPolicy(LookupRateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                PartitionOf(context),
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.LookupsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        });
        return services;
    }

    public static WebApplication UseEdgeSecurity(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            // Set when the answer starts, so answers rewritten by the exception handler (which clears headers) carry them too.
            context.Response.OnStarting(() =>
            {
                var response = context.Response;
                response.Headers.XContentTypeOptions = "nosniff";
                response.Headers["Referrer-Policy"] = "no-referrer";
                response.Headers.XFrameOptions = "DENY";
                if (response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true
                    && string.IsNullOrEmpty(response.Headers.ContentSecurityPolicy))
                {
                    response.Headers.ContentSecurityPolicy = HtmlFramePolicy;
                }

                // An answer to a request that carried credentials is personal: no shared or browser cache may keep it.
                if (context.Request.Headers.Authorization.Count > 0 && context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
                {
                    response.Headers.CacheControl = "no-store";
                    response.Headers.Pragma = "no-cache";
                }

                return Task.CompletedTask;
            });
            return next(context);
        });

        if (app.Services.GetRequiredService<CertLibrarySettings>().CorsOrigins.Count > 0)
        {
            app.UseCors(CorsPolicy);
        }

        return app;
    }

    private static string PartitionOf(HttpContext context)
    {
        var caller = context.User.ToCaller();
        return caller.DepartmentCode is { } department ? "department:" + department : "client:" + caller.ClientId;
    }

    private static async ValueTask WriteRateLimitedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 60;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        LogRateLimited(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CertLibrary.Api.RateLimit"), RequestLogging.RouteOf(context));
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Type = Problems.TypePrefix + "rate-limited",
                Title = "Too many requests.",
                Detail = $"The rate limit of this endpoint is reached; retry after {seconds} s.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit reached on {Route}; answered 429")]
    private static partial void LogRateLimited(ILogger logger, string route);
}
