using CertLibrary.CertStore;
using CertLibrary.CertStore.PostgreSql;
using CertLibrary.CertStore.Redis;
using CertLibrary.CertStore.Sqlite;
using CertLibrary.Data;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.IdentityModel.Tokens;
using Microsoft.OpenApi;

namespace CertLibrary.Api.Infrastructure;

/// <summary>Composition of the host: settings, stores, authentication, problems, health, OpenAPI.</summary>
public static partial class CertLibraryHost
{
    public static WebApplicationBuilder AddCertLibrary(this WebApplicationBuilder builder)
    {
        var settings = CertLibrarySettings.Load(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(settings);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = JsonBody.BatchLimit);

        var store = services.AddCertStore(o => o.MasterKey = settings.MasterKey);
        if (settings.Store == "postgresql")
        {
            store.UsePostgreSql(settings.PostgresConnectionString!);
        }
        else
        {
            store.UseSqlite(o => o.Path = settings.SqlitePath);
        }

        if (settings.Redis is not null)
        {
            store.UseRedisCache(o => o.Configuration = settings.Redis);
        }

        services.AddCertLibrarySigning(o => o.MasterKey = Convert.ToBase64String(
            HKDF.DeriveKey(HashAlgorithmName.SHA256, settings.MasterKey, 32, info: "certlib signing keys v1"u8.ToArray()))).AddSm2();

        services.AddHostedService<PlatformKeyInitializer>();
        services.AddProblemDetails();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;

            // ASP.NET Core trusts loopback by default, which lets any local process choose the address it is counted under.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in settings.TrustedProxies)
            {
                o.KnownIPNetworks.Add(network);
            }
        });

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            // Tokens are validated like any resource server would: metadata and keys from the provider's discovery document.
            o.Authority = settings.Issuer;
            o.Audience = settings.Audience;
            o.RequireHttpsMetadata = settings.Issuer.StartsWith("https:", StringComparison.Ordinal);
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                ValidTypes = ["at+jwt"],
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                ClockSkew = TimeSpan.FromSeconds(60),
                NameClaimType = "sub",
            };

            // After the signature and claims: refuse a token revoked since it was issued, or of a deleted client.
            o.Events = AccessTokenChecks.CreateEvents();
        });
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TimeProvider>((o, time) =>
        {
            o.TokenHandlers.Clear();
            o.TokenHandlers.Add(new CachingTokenHandler(new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { MapInboundClaims = o.MapInboundClaims }, time));
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireAssertion(c => c.User.HasScope(CallerExtensions.AdminScope)))
            .AddPolicy(Policies.Issue, p => p.RequireAssertion(c => c.User.HasScope(CallerExtensions.IssueScope) || c.User.HasScope(CallerExtensions.AdminScope)))
            .AddPolicy(Policies.Read, p => p.RequireAssertion(c =>
                c.User.HasScope(CallerExtensions.UseScope) || c.User.HasScope(CallerExtensions.IssueScope) || c.User.HasScope(CallerExtensions.AdminScope)))
            .AddPolicy(Policies.Verify, p => p.RequireAssertion(c => c.User.HasScope(CallerExtensions.VerifyScope)))
            .AddPolicy(Policies.MeRead, p => p.AddRequirements(new ScopeRequirement(CertLibrary.Identity.IdentityConstants.MeReadScope)))
            .AddPolicy(Policies.MeManage, p => p.AddRequirements(new ScopeRequirement(CertLibrary.Identity.IdentityConstants.MeManageScope)));
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, InsufficientScopeResultHandler>();

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo { Title = "CertLibrary API", Version = "v1", Description = "电子证照库: issue, manage, look up and verify certificates." });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT" });
        });
        services.AddHealthChecks();
        services.AddEdgeSecurity(settings);
        builder.AddRequestLogging();
        services.AddCertLibraryMetrics();
        return builder;
    }

    public static WebApplication UseCertLibrary(this WebApplication app)
    {
        if (app.Services.GetRequiredService<CertLibrarySettings>().TrustedProxies.Count > 0)
        {
            // Only then: with both lists empty the middleware would believe every sender.
            app.UseForwardedHeaders();
        }

        app.UseRequestLogging();
        app.UseEdgeSecurity();
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledAsync));
        app.UseStatusCodePages();
        app.UseSwagger();
        app.UseSwaggerUI(o => o.SwaggerEndpoint("/swagger/v1/swagger.json", "CertLibrary v1"));
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapCertLibraryMetrics();
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }))
            .WithName("Live").WithTags("Health").WithSummary("Liveness").WithDescription("Answers while the process runs.");
        app.MapGet("/health/ready", ReadyAsync)
            .WithName("Ready").WithTags("Health").WithSummary("Readiness").WithDescription("200 only when the database and, when configured, Redis answer.");
        return app;
    }

    /// <summary>Runs the host; with <c>--seed-demo</c> (or in Development) fills the demo data first.</summary>
    public static async Task RunCertLibraryAsync(this WebApplication app, string[] args)
    {
        await app.StartAsync();
        if (app.Services.GetRequiredService<CertLibrarySettings>() is { Store: "sqlite" } settings)
        {
            LogEmbeddedStore(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CertLibraryHost)), settings.SqlitePath);
        }

        if (args.Contains("--seed-demo") || app.Environment.IsDevelopment())
        {
            await DemoSeeder.SeedAsync(app.Services, Console.Out, CancellationToken.None);
            await DemoSeeder.SeedDemoCompanyAsync(app.Services, Console.Out, CancellationToken.None);
        }

        await app.WaitForShutdownAsync();
    }

    private static async Task<IResult> ReadyAsync(ICertLibraryDatabase database, IServiceProvider services, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, string>();
        try
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            checks["database"] = "ok";
        }
        catch (Exception e) when (database.IsTransientFailure(e) || e is System.Data.Common.DbException or TimeoutException)
        {
            checks["database"] = "unavailable";
        }

        if (services.GetService<IRedisHealth>() is { } redis)
        {
            checks["redis"] = redis.IsConnected ? "ok" : "unavailable";
        }

        var ready = checks.Values.All(v => v == "ok");
        return ready
            ? TypedResults.Ok(new { status = "ready", checks })
            : TypedResults.Json(new { status = "not-ready", checks }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task WriteUnhandledAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var database = context.RequestServices.GetRequiredService<ICertLibraryDatabase>();
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CertLibrary.Api");
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        var integrity = error is System.Security.Cryptography.CryptographicException;
        var unavailable = error is not null && (database.IsTransientFailure(error) || error is TimeoutException
            || error.InnerException is { } inner && database.IsTransientFailure(inner));
        if (unavailable)
        {
            LogUnavailable(logger, error!.GetType().Name);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
        }
        else
        {
            // A sealed row that no longer opens was altered in the database: fail closed, never serve it.
            LogUnhandled(logger, error);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = context.Response.StatusCode,
                Type = Problems.TypePrefix + (unavailable ? "unavailable" : integrity ? "integrity" : "internal"),
                Title = unavailable ? "Service temporarily unavailable." : integrity ? "Stored data failed its integrity check." : "Internal error.",
                Detail = unavailable ? "The database cannot be reached; retry shortly. Nothing was changed."
                    : integrity ? "The stored record was altered outside the service and is not served. Operators have been alerted." : "An unexpected error occurred.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable ({ExceptionType}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded store: {Path} (set CERTLIB_SQLITE_PATH to move it)")]
    private static partial void LogEmbeddedStore(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception")]
    private static partial void LogUnhandled(ILogger logger, Exception? exception);
}
