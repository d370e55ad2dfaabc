using System.Diagnostics;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// One Information line per request with the route template instead of the URL: raw paths and query strings carry
/// online-QR tokens (<c>/v/{token}</c>), <c>id_token_hint</c> and the like, which must never reach a log. ASP.NET
/// Core's own request lines (category <c>Microsoft.AspNetCore.Hosting.Diagnostics</c>) print the full URL and its
/// redirect results the target URL with the authorization code, so both are filtered.
/// </summary>
public static partial class RequestLogging
{
    public static WebApplicationBuilder AddRequestLogging(this WebApplicationBuilder builder)
    {
        // Off, not just quieter: while enabled at all it also adds a RequestPath scope (the raw path) to every line.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        // Logs the redirect URL, which carries the authorization code of /connect/authorize.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Result.RedirectResult", LogLevel.Warning);
        return builder;
    }

    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CertLibrary.Api.Requests");
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
                LogRequest(logger, context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Route} answered {StatusCode} in {ElapsedMilliseconds:F1} ms")]
    private static partial void LogRequest(ILogger logger, string method, string route, int statusCode, double elapsedMilliseconds);
}
