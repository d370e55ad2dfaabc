using Microsoft.AspNetCore;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CertLibrary.Identity;

/// <summary>
/// <c>/connect/token</c> behind OpenIddict (passthrough): OpenIddict has authenticated the client and, for a code or a
/// refresh token, checked it (single use, PKCE, redirect URI, rotation and reuse detection, session still open). This
/// decides what the token carries: a department's client-credentials token names the department; a citizen's tokens keep
/// what the sign-in put in them, with a narrower scope when a refresh asks for one.
/// </summary>
internal static partial class TokenEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, ClientManager clients, ILogger<ClientManager> logger, CancellationToken cancellationToken)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
        if (request.IsClientCredentialsGrantType())
        {
            return await ClientCredentialsAsync(request, clients, logger, cancellationToken);
        }

        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { } principal)
        {
            return Forbid(Errors.InvalidGrant, "The authorization code or refresh token is no longer valid.");
        }

        if (request.IsRefreshTokenGrantType() && request.Scope is { Length: > 0 })
        {
            principal.SetScopes(request.GetScopes());
        }

        LogTokenIssued(logger, request.ClientId ?? string.Empty, request.GrantType ?? string.Empty);
        return Results.SignIn(principal, null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> ClientCredentialsAsync(OpenIddictRequest request, ClientManager clients, ILogger logger, CancellationToken cancellationToken)
    {
        var client = await clients.FindAsync(request.ClientId!, cancellationToken);
        var allowed = client?.Scopes.Where(IdentityConstants.ApiScopes.Contains).ToList() ?? [];
        if (client is null || allowed.Count == 0)
        {
            return Forbid(Errors.UnauthorizedClient, "This client may not use the client_credentials grant.");
        }

        var scopes = request.GetScopes().Distinct(StringComparer.Ordinal).ToList();
        if (scopes.FirstOrDefault(s => !allowed.Contains(s)) is { } denied)
        {
            return Forbid(Errors.InvalidScope, $"The client may not request scope '{denied}'.");
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, client.ClientId);
        if (client.DepartmentCode is not null)
        {
            identity.SetClaim(IdentityConstants.DepartmentClaim, client.DepartmentCode);
        }

        identity.SetScopes(scopes.Count == 0 ? allowed : scopes);
        identity.SetResources(IdentityConstants.ApiAudience);
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        LogTokenIssued(logger, client.ClientId, GrantTypes.ClientCredentials);
        return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Forbid(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4002, Message = "Audit: token issued to client {ClientId} by grant {GrantType}")]
    internal static partial void LogTokenIssued(ILogger logger, string clientId, string grantType);
}
