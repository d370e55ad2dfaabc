using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CertLibrary.Identity;

/// <summary>UserInfo (OIDC Core §5.3), revocation (RFC 7009), introspection (RFC 7662) and RP-initiated logout.</summary>
internal static partial class TokenManagementEndpoints
{
    public const string EndSessionPath = "/connect/endsession";

    /// <summary>Field of the logout confirmation form that marks the citizen's answer.</summary>
    private const string ConfirmField = "confirm";

    public static async Task<IResult> UserInfoAsync(HttpContext context, TokenFactory tokens, IssuerResolver issuers,
        AuthorizationCodeGrant grants, CancellationToken cancellationToken)
    {
        string? token = null;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = authorization[7..].Trim();
        }
        else if (HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType)
        {
            token = (await context.Request.ReadFormAsync(cancellationToken))["access_token"].ToString();
        }

        var jwt = string.IsNullOrEmpty(token) ? null : await ValidAccessTokenAsync(context, token, tokens, issuers, cancellationToken);
        if (jwt is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        var scopes = jwt.GetClaim("scope").Value.Split(' ');
        if (!scopes.Contains(IdentityConstants.OpenIdScope) || jwt.Subject == jwt.GetClaim("client_id").Value)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"insufficient_scope\", scope=\"openid\"";
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        var claims = new Dictionary<string, object> { ["sub"] = jwt.Subject };
        await grants.AddIdentityClaimsAsync(claims, jwt.Subject, scopes, cancellationToken);
        OAuthErrors.NoStore(context);
        return Results.Json(claims);
    }

    public static async Task<IResult> RevokeAsync(HttpContext context, ClientAuthenticator authenticator, GrantStore store, TokenFactory tokens,
        IssuerResolver issuers, TimeProvider time, IOptions<IdentityOptions> options, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "The request must be application/x-www-form-urlencoded.");
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var (client, error) = await authenticator.AuthenticateAsync(context, form, allowPublic: true, cancellationToken); // RFC 7009 §2.1: public clients revoke their own tokens
        if (client is null)
        {
            return error!;
        }

        var token = form["token"].ToString();
        if (token.Length == 0)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "token is required.");
        }

        var now = time.GetUtcNow();
        if (token.Length <= 100 && await store.FindGrantAsync(SecretHasher.HandleHash(token), cancellationToken) is { Kind: "refresh" } row)
        {
            if (row.ClientId == client.ClientId)
            {
                // Revoking a refresh token revokes its grant: the access tokens issued from it stop introspecting active.
                await store.RevokeAsync(row.GrantId, "grant", now, now + options.Value.RefreshTokenLifetime, cancellationToken);
            }
        }
        else if (await tokens.ValidateAsync(token, issuers.GetIssuer(context), null, validateLifetime: false, cancellationToken) is { IsValid: true } result
            && result.SecurityToken is JsonWebToken jwt && jwt.GetClaim("client_id")?.Value == client.ClientId)
        {
            await store.RevokeAsync(jwt.Id, "jti", now, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), cancellationToken);
        }

        // RFC 7009 §2.2: 200 whether or not the token was known, so the endpoint reveals nothing.
        OAuthErrors.NoStore(context);
        return Results.Ok();
    }

    public static async Task<IResult> IntrospectAsync(HttpContext context, ClientAuthenticator authenticator, GrantStore store, TokenFactory tokens,
        IssuerResolver issuers, TimeProvider time, ILogger<ClientManager> logger, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "The request must be application/x-www-form-urlencoded.");
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var (client, error) = await authenticator.AuthenticateAsync(context, form, cancellationToken);
        if (client is null)
        {
            return error!;
        }

        if (!client.IsResourceServer)
        {
            // RFC 7662 §4: the answer tells who holds the token and what it may do, so only protected resources may ask.
            LogIntrospectionRefused(logger, client.ClientId);
            return OAuthErrors.Error(context, OAuthErrors.UnauthorizedClient, "Only clients registered as resource servers may introspect tokens.",
                StatusCodes.Status403Forbidden);
        }

        var token = form["token"].ToString();
        if (token.Length == 0)
        {
            return OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "token is required.");
        }

        OAuthErrors.NoStore(context);
        var inactive = Results.Json(new Dictionary<string, object> { ["active"] = false });
        var now = time.GetUtcNow();
        if (token.Length <= 100 && await store.FindGrantAsync(SecretHasher.HandleHash(token), cancellationToken) is { Kind: "refresh" } row)
        {
            if (row.ClientId != client.ClientId || row.ConsumedAt is not null || row.ExpiresAt <= now
                || await store.IsRevokedAsync([("grant", row.GrantId), ("session", row.SessionId)], cancellationToken))
            {
                return inactive;
            }

            return Results.Json(new Dictionary<string, object>
            {
                ["active"] = true,
                ["token_type"] = "refresh_token",
                ["client_id"] = row.ClientId,
                ["sub"] = row.Subject,
                ["scope"] = row.Data.Scope,
                ["iat"] = row.CreatedAt.ToUnixTimeSeconds(),
                ["exp"] = row.ExpiresAt.ToUnixTimeSeconds(),
                ["iss"] = issuers.GetIssuer(context),
            });
        }

        var jwt = await ValidAccessTokenAsync(context, token, tokens, issuers, cancellationToken);
        if (jwt is null)
        {
            return inactive;
        }

        var answer = new Dictionary<string, object>
        {
            ["active"] = true,
            ["token_type"] = "Bearer",
            ["iss"] = jwt.Issuer,
            ["aud"] = jwt.Audiences.First(),
            ["sub"] = jwt.Subject,
            ["client_id"] = jwt.GetClaim("client_id").Value,
            ["scope"] = jwt.GetClaim("scope").Value,
            ["jti"] = jwt.Id,
            ["iat"] = new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero).ToUnixTimeSeconds(),
            ["exp"] = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero).ToUnixTimeSeconds(),
        };
        if (jwt.TryGetPayloadValue<string>(IdentityConstants.DepartmentClaim, out var department))
        {
            answer[IdentityConstants.DepartmentClaim] = department;
        }

        return Results.Json(answer);
    }

    /// <summary>
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). With a valid <c>id_token_hint</c> the session ends at
    /// once; without one the request may come from any site (a link or an image is enough), so the citizen is asked to
    /// confirm (§2, §6) and only the confirmation form, posted with its antiforgery token, ends the session.
    /// </summary>
    public static async Task<IResult> EndSessionAsync(HttpContext context, ClientManager clients, SessionCookie sessions, GrantStore store,
        TokenFactory tokens, IssuerResolver issuers, IAntiforgery antiforgery, ILogger<SessionCookie> logger, CancellationToken cancellationToken)
    {
        var form = HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType
            ? await context.Request.ReadFormAsync(cancellationToken)
            : null;
        var parameters = form is not null
            ? form.ToDictionary(p => p.Key, p => p.Value.ToString())
            : context.Request.Query.ToDictionary(p => p.Key, p => p.Value.ToString());
        parameters.TryGetValue("id_token_hint", out var hint);
        parameters.TryGetValue("post_logout_redirect_uri", out var redirect);
        parameters.TryGetValue("state", out var state);
        parameters.TryGetValue("client_id", out var clientId);

        JsonWebToken? idToken = null;
        if (!string.IsNullOrEmpty(hint))
        {
            // Only an ID token issued to a registered client: never an access token or a logout token this provider also signed.
            idToken = await tokens.ValidateIdentityTokenAsync(hint, issuers.GetIssuer(context), null, cancellationToken);
            var audience = idToken?.Audiences.Single();
            if (audience is null || await clients.FindAsync(audience, cancellationToken) is null)
            {
                return Pages.Error(context, "退出请求无效（id_token_hint）。", "Invalid logout request (id_token_hint).");
            }

            if (!string.IsNullOrEmpty(clientId) && clientId != audience)
            {
                return Pages.Error(context, "退出请求无效（client_id）。", "Invalid logout request (client_id).");
            }

            clientId = audience;
        }

        // §2, §3: redirect only to a URI registered for the client that client_id or the hint names. Any other URI (or none
        // proven) is not followed: the logout still happens, and ends on the provider's signed-out page.
        IdentityClient? client = string.IsNullOrEmpty(clientId) ? null : await clients.FindAsync(clientId, cancellationToken);
        var redirectTo = client is not null && !string.IsNullOrEmpty(redirect) && client.PostLogoutRedirectUris.Contains(redirect, StringComparer.Ordinal)
            ? redirect
            : null;

        var current = await sessions.GetAsync(context, cancellationToken);
        if (idToken is null && current is not null)
        {
            if (form is null || !form.ContainsKey(ConfirmField))
            {
                return ConfirmLogoutPage(context, antiforgery, client?.ClientId, redirectTo, state);
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
        if (idToken is not null && idToken.TryGetPayloadValue<string>("sid", out var sid) && sid != current?.SessionId)
        {
            // The portal's ID token names the session to end. The browser's cookie may be missing (a cross-site POST does
            // not carry a SameSite=Lax cookie) or belong to a later session, which is not ended on this token's word.
            var named = await store.FindSessionAsync(sid, cancellationToken);
            session = named is { EndedAt: null } && named.Subject == idToken.Subject ? named : null;
        }

        if (session is not null && await sessions.EndAsync(context, session, cancellationToken))
        {
            LogLoggedOut(logger, session.Subject);
        }

        if (current is null || current.SessionId == session?.SessionId)
        {
            sessions.Delete(context);
        }

        if (redirectTo is not null)
        {
            context.Response.Headers.CacheControl = "no-store";
            return Results.Redirect(string.IsNullOrEmpty(state) ? redirectTo : QueryHelpers.AddQueryString(redirectTo, "state", state));
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

    private static async Task<JsonWebToken?> ValidAccessTokenAsync(HttpContext context, string token, TokenFactory tokens, IssuerResolver issuers,
        CancellationToken cancellationToken)
    {
        var result = await tokens.ValidateAsync(token, issuers.GetIssuer(context), IdentityConstants.ApiAudience, validateLifetime: true, cancellationToken);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt || jwt.Typ != IdentityConstants.AccessTokenType)
        {
            return null;
        }

        // Live: revoked token, grant or session, or a client deleted since the token was issued.
        return await context.RequestServices.GetRequiredService<AccessTokenRevocation>().IsRevokedNowAsync(jwt, cancellationToken) ? null : jwt;
    }

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4003, Message = "Audit: client {ClientId} is not a resource server; introspection refused")]
    private static partial void LogIntrospectionRefused(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4040, Message = "Audit: citizen {Subject} logged out; SSO session ended")]
    private static partial void LogLoggedOut(ILogger logger, string subject);
}
