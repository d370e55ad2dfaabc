using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CertLibrary.Identity;

/// <summary>Maps the provider's endpoints (Duende's paths).</summary>
public static class IdentityEndpointRouteBuilderExtensions
{
    /// <summary>Maps discovery, JWKS and the <c>/connect/*</c> endpoints.</summary>
    public static IEndpointRouteBuilder MapCertLibraryIdentity(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(string.Empty).WithTags("Identity").ExcludeFromDescription();
        // Discovery, JWKS, introspection and revocation are answered by OpenIddict itself; these are its passthrough endpoints.
        group.MapPost("/connect/token", TokenEndpoint.HandleAsync).WithName("OidcToken").DisableAntiforgery();
        group.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], AuthorizeEndpoint.HandleAsync).WithName("OidcAuthorize").DisableAntiforgery();
        group.MapPost(AuthorizeEndpoint.LoginPath, AuthorizeEndpoint.HandleAsync).WithName("OidcLogin").DisableAntiforgery();
        group.MapPost(AuthorizeEndpoint.SecondFactorPath, AuthorizeEndpoint.HandleAsync).WithName("OidcLoginSecondFactor").DisableAntiforgery();
        group.MapPost(AuthorizeEndpoint.ConsentPath, AuthorizeEndpoint.HandleAsync).WithName("OidcConsent").DisableAntiforgery();
        group.MapGet(TotpAccountEndpoints.Path, TotpAccountEndpoints.ShowAsync).WithName("AccountTotp");
        group.MapPost(TotpAccountEndpoints.Path + "/enable", TotpAccountEndpoints.EnableAsync).WithName("AccountTotpEnable").DisableAntiforgery();
        group.MapGet(TotpAccountEndpoints.RecoveryCodesPath, TotpAccountEndpoints.ShowRecoveryCodesAsync).WithName("AccountTotpRecoveryCodes");
        group.MapPost(TotpAccountEndpoints.RecoveryCodesPath, TotpAccountEndpoints.RegenerateRecoveryCodesAsync).WithName("AccountTotpRecoveryCodesRegenerate").DisableAntiforgery();
        group.MapPost(TotpAccountEndpoints.Path + "/disable", TotpAccountEndpoints.DisableAsync).WithName("AccountTotpDisable").DisableAntiforgery();
        group.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], TokenManagementEndpoints.UserInfoAsync).WithName("OidcUserInfo").DisableAntiforgery();
        group.MapMethods(TokenManagementEndpoints.EndSessionPath, [HttpMethods.Get, HttpMethods.Post], TokenManagementEndpoints.EndSessionAsync).WithName("OidcEndSession").DisableAntiforgery();
        return endpoints;
    }
}
