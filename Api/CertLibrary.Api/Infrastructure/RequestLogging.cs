using System.Diagnostics;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// One line per request with the route template instead of the URL: raw paths and query strings carry online-QR
/// tokens (<c>/v/{token}</c>), <c>id_token_hint</c> and the like, which must never reach a log. ASP.NET Core's own
/// request lines (category <c>Microsoft.AspNetCore.Hosting.Diagnostics</c>) print the full URL and its redirect results
/// the target URL with the authorization code, so both are filtered.
/// <para>
/// Level by outcome: answers below 400 in under <see cref="SlowRequest"/> are Debug (request rates and durations per
/// route are in <c>/metrics</c>, department reads in the access log; a console line per verification cost about a tenth
/// of the verify throughput), 4xx are Information, 5xx are Error, slow answers are Warning. Every line again:
/// <c>Logging__LogLevel__CertLibrary.Api.Requests=Debug</c>.
/// </para>
/// </summary>
public static partial class RequestLogging
{
    /// <summary>The category of the request lines.</summary>
    public const string Category = "CertLibrary.Api.Requests";

    /// <summary>Answers slower than this are logged as Warning whatever their status.</summary>
    public static readonly TimeSpan SlowRequest = TimeSpan.FromSeconds(1);

    public static WebApplicationBuilder AddRequestLogging(this WebApplicationBuilder builder)
    {
        // Off, not just quieter: while enabled at all it also adds a RequestPath scope (the raw path) to every line.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        // Logs the redirect URL, which carries the authorization code of /connect/authorize.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Result.RedirectResult", LogLevel.Warning);

        // Its Debug lines ("candidate(s) found for the request path '/v/…'") name the raw path.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.Matching.DfaMatcher", LogLevel.Information);

        // Its Debug lines can quote a malformed request line, target included.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Information);

        // OpenIddict's Information lines quote every request and response parameter it does not know to be secret
        // ("The token request was successfully extracted: {...}"): a username or login_hint may be an identity number.
        builder.Logging.AddFilter("OpenIddict", LogLevel.Warning);
        return builder;
    }

    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                var status = context.Response.StatusCode;
                var level = LevelOf(status, elapsed);
                if (logger.IsEnabled(level))
                {
                    LogRequest(logger, level, context.Request.Method, RouteOf(context), status, elapsed.TotalMilliseconds);
                }
            }
        });
        return app;
    }

    /// <summary>What a log line names a request by: its route template (<c>/v/{token}</c>), never the path it was sent to.</summary>
    public static string RouteOf(HttpContext context) => (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";

    /// <summary>The level a request line is written at.</summary>
    public static LogLevel LevelOf(int statusCode, TimeSpan elapsed) => statusCode switch
    {
        >= 500 => LogLevel.Error,
        _ when elapsed >= SlowRequest => LogLevel.Warning,
        >= 400 => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(Message = "HTTP {Method} {Route} answered {StatusCode} in {ElapsedMilliseconds:F1} ms")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string method, string route, int statusCode, double elapsedMilliseconds);
}
