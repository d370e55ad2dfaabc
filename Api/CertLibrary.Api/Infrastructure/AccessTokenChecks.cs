using CertLibrary.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// JwtBearer events that refuse an access token cut off after it was issued (revoked, its grant or session revoked, its
/// client deleted; <see cref="AccessTokenRevocation"/>). Such a token answers 401 with <c>Bearer error="invalid_token"</c>
/// like any invalid one. When the check cannot reach the database the request fails closed: 503 Problem Details
/// (<c>unavailable</c>, <c>Retry-After</c>) on endpoints that need a caller; anonymous endpoints go on without one.
/// </summary>
internal static partial class AccessTokenChecks
{
    private static readonly object Unavailable = new();

    public static JwtBearerEvents CreateEvents() => new()
    {
        OnTokenValidated = TokenValidatedAsync,
        OnChallenge = ChallengeAsync,
    };

    private static async Task TokenValidatedAsync(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken token)
        {
            context.Fail("The access token is not a JWT.");
            return;
        }

        var revocation = context.HttpContext.RequestServices.GetRequiredService<AccessTokenRevocation>();
        try
        {
            if (await revocation.IsRevokedAsync(token, context.HttpContext.RequestAborted))
            {
                context.Fail("The access token was revoked.");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCheckFailed(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CertLibrary.Api.Authentication"), e.GetType().Name);
            context.HttpContext.Items[Unavailable] = true;
            context.Fail("The revocation check is unavailable.");
        }
    }

    private static async Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        if (!context.HttpContext.Items.ContainsKey(Unavailable))
        {
            return;
        }

        context.HandleResponse();
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = "5";
        await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context.HttpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Type = Problems.TypePrefix + "unavailable",
                Title = "Service temporarily unavailable.",
                Detail = "The access token could not be checked against revocations; retry shortly. Nothing was changed.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Access token revocation check failed ({ExceptionType}); answered 503")]
    private static partial void LogCheckFailed(ILogger logger, string exceptionType);
}
