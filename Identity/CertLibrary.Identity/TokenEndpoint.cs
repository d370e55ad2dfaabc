using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Identity;

/// <summary><c>/connect/token</c>: client credentials, authorization code (PKCE) and refresh token grants.</summary>
internal static partial class TokenEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, ClientAuthenticator authenticator, TokenFactory tokens,
        IssuerResolver issuers, AuthorizationCodeGrant codes, ILogger<ClientManager> logger, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "The request must be application/x-www-form-urlencoded.");
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        if (form.Any(p => p.Value.Count > 1))
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "A parameter was sent more than once.");
        }

        var (client, error) = await authenticator.AuthenticateAsync(context, form, allowPublic: true, cancellationToken);
        if (client is null)
        {
            LogClientAuthenticationFailed(logger);
            return error!;
        }

        var grantType = form["grant_type"].ToString();
        return grantType switch
        {
            "client_credentials" => await ClientCredentialsAsync(context, client, form, tokens, issuers, logger, cancellationToken),
            "authorization_code" => await codes.RedeemCodeAsync(context, client, form, cancellationToken),
            "refresh_token" => await codes.RefreshAsync(context, client, form, cancellationToken),
            "" => OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "grant_type is required."),
            _ => OAuthErrors.Error(context, OAuthErrors.UnsupportedGrantType, "Supported grant types: authorization_code, refresh_token, client_credentials."),
        };
    }

    private static async Task<IResult> ClientCredentialsAsync(HttpContext context, IdentityClient client, IFormCollection form,
        TokenFactory tokens, IssuerResolver issuers, ILogger logger, CancellationToken cancellationToken)
    {
        var allowed = client.Scopes.Where(IdentityConstants.ApiScopes.Contains).ToList();
        if (allowed.Count == 0)
        {
            return OAuthErrors.Error(context, OAuthErrors.UnauthorizedClient, "This client may not use the client_credentials grant.");
        }

        List<string> scopes;
        if (form.TryGetValue("scope", out var requested) && requested.ToString().Length > 0)
        {
            scopes = [.. requested.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];
            if (scopes.FirstOrDefault(s => !allowed.Contains(s)) is { } denied)
            {
                return OAuthErrors.Error(context, OAuthErrors.InvalidScope, $"The client may not request scope '{denied}'.");
            }
        }
        else
        {
            scopes = allowed;
        }

        var extra = client.DepartmentCode is null ? null : new Dictionary<string, object> { [IdentityConstants.DepartmentClaim] = client.DepartmentCode };
        var (token, _, _) = await tokens.CreateAccessTokenAsync(issuers.GetIssuer(context), client.ClientId, client.ClientId, scopes, extra, cancellationToken);
        LogTokenIssued(logger, client.ClientId, "client_credentials");
        OAuthErrors.NoStore(context);
        return Results.Json(new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)tokens.AccessTokenLifetime.TotalSeconds,
            ["scope"] = string.Join(' ', scopes),
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4001, Message = "Audit: client authentication failed at the token endpoint")]
    private static partial void LogClientAuthenticationFailed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4002, Message = "Audit: token issued to client {ClientId} by grant {GrantType}")]
    internal static partial void LogTokenIssued(ILogger logger, string clientId, string grantType);
}
