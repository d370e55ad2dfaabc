using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity;

/// <summary>OAuth 2.0 error responses (RFC 6749 §5.2) with the no-store headers every token response carries.</summary>
internal static class OAuthErrors
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string InvalidScope = "invalid_scope";
    public const string InvalidToken = "invalid_token";
    public const string UnsupportedTokenType = "unsupported_token_type";

    public static IResult Error(HttpContext context, string error, string description, int status = StatusCodes.Status400BadRequest)
    {
        NoStore(context);
        if (error == InvalidClient)
        {
            status = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"certlib\", error=\"invalid_client\"";
        }

        return Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, statusCode: status);
    }

    public static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
    }
}
