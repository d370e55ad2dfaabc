using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity;

/// <summary>Authorization code (PKCE) and refresh token grants at the token endpoint.</summary>
internal sealed class AuthorizationCodeGrant
{
    public Task<IResult> RedeemCodeAsync(HttpContext context, IdentityClient client, IFormCollection form, CancellationToken cancellationToken) =>
        Task.FromResult(OAuthErrors.Error(context, OAuthErrors.UnsupportedGrantType, "Not yet available."));

    public Task<IResult> RefreshAsync(HttpContext context, IdentityClient client, IFormCollection form, CancellationToken cancellationToken) =>
        Task.FromResult(OAuthErrors.Error(context, OAuthErrors.UnsupportedGrantType, "Not yet available."));
}
