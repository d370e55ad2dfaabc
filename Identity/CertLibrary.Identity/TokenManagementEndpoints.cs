using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CertLibrary.Identity;

/// <summary>UserInfo (OIDC Core §5.3) and RP-initiated logout, behind OpenIddict (passthrough); revocation and introspection are OpenIddict's own.</summary>
internal static partial class TokenManagementEndpoints
{
    public const string EndSessionPath = "/connect/endsession";

    /// <summary>Field of the logout confirmation form that marks the citizen's answer.</summary>
    private const string ConfirmField = "confirm";

    /// <summary>
    /// UserInfo (OIDC Core §5.3): OpenIddict has validated the access token (signature, lifetime, not revoked, its grant
    /// and session still valid); the answer holds <c>sub</c>, and <c>name</c> and <c>citizen_id</c> when the token's scopes allow them.
    /// </summary>
    public static async Task<IResult> UserInfoAsync(HttpContext context, CitizenManager citizens, CancellationToken cancellationToken)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { } principal)
        {
            return Results.Challenge(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The access token is not valid.",
            }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var subject = principal.GetClaim(Claims.Subject);
        if (!principal.HasScope(Scopes.OpenId) || subject is null || subject == principal.GetClaim(Claims.ClientId))
        {
            return Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InsufficientScope,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The access token does not carry the openid scope of a citizen.",
                [OpenIddictServerAspNetCoreConstants.Properties.Scope] = Scopes.OpenId,
            }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var claims = new Dictionary<string, object> { [Claims.Subject] = subject };
        if (principal.HasScope(IdentityConstants.ProfileScope) && await citizens.FindBySubjectAsync(subject, cancellationToken) is { } citizen)
        {
            claims[Claims.Name] = citizen.Name;
        }

        if (principal.HasScope(IdentityConstants.CitizenIdScope) && await citizens.GetCitizenIdAsync(subject, cancellationToken) is { } id)
        {
            claims[IdentityConstants.CitizenIdClaim] = id.ToString();
        }

        OAuthErrors.NoStore(context);
        return Results.Json(claims);
    }

    /// <summary>
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). With a valid <c>id_token_hint</c> the session ends at
    /// once; without one the request may come from any site (a link or an image is enough), so the citizen is asked to
    /// confirm (§2, §6) and only the confirmation form, posted with its antiforgery token, ends the session.
    /// </summary>
    public static async Task<IResult> EndSessionAsync(HttpContext context, SessionCookie sessions, SessionStore store,
        IAntiforgery antiforgery, ILogger<SessionCookie> logger, CancellationToken cancellationToken)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
        var form = HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType
            ? await context.Request.ReadFormAsync(cancellationToken)
            : null;

        // OpenIddict validated the hint (an ID token it issued) and that a post-logout redirect URI is registered for the client.
        // A hint it could not validate is not an error to OpenIddict: it answers a principal without subject, refused here.
        var hint = request.IdTokenHint is null ? null : (await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)).Principal;
        if (request.IdTokenHint is not null && hint?.GetClaim(Claims.Subject) is null)
        {
            return Pages.Error(context, "退出请求无效（id_token_hint）。", "Invalid logout request (id_token_hint).");
        }

        var current = await sessions.GetAsync(context, cancellationToken);
        if (hint is null && current is not null)
        {
            if (form is null || !form.ContainsKey(ConfirmField))
            {
                return ConfirmLogoutPage(context, antiforgery, request.ClientId, request.PostLogoutRedirectUri, request.State);
            }

            try
            {
                await antiforgery.ValidateRequestAsync(context);
            }
            catch (AntiforgeryValidationException)
            {
                return Pages.Error(context, "页面已过期或请求来源无效，请重新退出。", "The page expired or the request did not come from it; please sign out again.");
            }
        }

        var session = current;
        if (hint?.GetClaim("sid") is { } sid && sid != current?.SessionId)
        {
            // The portal's ID token names the session to end. The browser's cookie may be missing (a cross-site POST does
            // not carry a SameSite=Lax cookie) or belong to a later session, which is not ended on this token's word.
            var named = await store.FindSessionAsync(sid, cancellationToken);
            session = named is { EndedAt: null } && named.Subject == hint.GetClaim(Claims.Subject) ? named : null;
        }

        if (session is not null && await sessions.EndAsync(context, session, cancellationToken))
        {
            LogLoggedOut(logger, session.Subject);
        }

        if (current is null || current.SessionId == session?.SessionId)
        {
            sessions.Delete(context);
        }

        if (request.PostLogoutRedirectUri is not null)
        {
            // OpenIddict redirects to the registered URI with state.
            return Results.SignOut(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        return Pages.Html(context, Pages.T(context, "已退出", "Signed out"),
            $"<p id=\"signed-out\">{Pages.T(context, "您已退出统一身份认证，所有门户均已退出登录。", "You are signed out of every portal.")}</p>");
    }

    /// <summary>Asks the citizen to confirm a logout no portal vouched for; the form posts back here with what the request carried.</summary>
    private static IResult ConfirmLogoutPage(HttpContext context, IAntiforgery antiforgery, string? clientId, string? redirect, string? state)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = $"""
            <p id="confirm-logout">{Pages.T(context, "是否退出统一身份认证？退出后所有门户都将退出登录。", "Sign out of the unified identity? You will be signed out of every portal.")}</p>
            <form method="post" action="{Pages.Encode(context.Request.PathBase + EndSessionPath)}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            {Pages.Hidden(ConfirmField, "1")}
            {Pages.Hidden("client_id", clientId)}{Pages.Hidden("post_logout_redirect_uri", redirect)}{Pages.Hidden("state", state)}
            <button type="submit" id="logout">{Pages.T(context, "退出登录", "Sign out")}</button>
            </form>
            <p>{Pages.T(context, "如果您没有要求退出，请关闭本页面，您将保持登录。", "If you did not ask to sign out, close this page: you stay signed in.")}</p>
            """;
        return Pages.Html(context, Pages.T(context, "统一身份认证 · 退出", "Unified identity · Sign out"), body);
    }

    [LoggerMessage(Level = LogLevel.Information, EventId = 4040, Message = "Audit: citizen {Subject} logged out; SSO session ended")]
    private static partial void LogLoggedOut(ILogger logger, string subject);
}
