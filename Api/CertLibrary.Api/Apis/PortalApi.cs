using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using CertLibrary.Api.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Api.Apis;

/// <summary>
/// The citizen portal 我的电子证照 (<c>/portal</c>): static pages and script in <c>wwwroot/portal</c> calling
/// <c>/api/v1/me</c>, and the server side of its sign-in (authorization code + PKCE S256, state, nonce, RFC 9207
/// <c>iss</c>) and sign-out (<c>/connect/endsession</c>) through the built-in identity provider.
/// </summary>
public static partial class PortalApi
{
    /// <summary>
    /// Scripts, styles and images from this origin only (no inline script, no CDN); QR images arrive as blob: URLs;
    /// forms post only here and to the provider; never framed.
    /// </summary>
    private const string PolicyTemplate =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
        "form-action 'self' {0}; frame-ancestors 'none'; base-uri 'none'";

    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    private static readonly Dictionary<string, (string File, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["app.js"] = ("portal/app.js", "text/javascript; charset=utf-8"),
        ["app.css"] = ("portal/app.css", "text/css; charset=utf-8"),
        ["signout.js"] = ("portal/signout.js", "text/javascript; charset=utf-8"),
    };

    public static IEndpointRouteBuilder MapCitizenPortal(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/portal").WithTags("Citizen portal").AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/", Index).WithName("PortalPage")
            .WithSummary("Citizen portal").WithDescription("我的电子证照: my certificates and their QR codes, consents, who used my certificates. Signs in first.");
        group.MapGet("/{asset}", Asset).WithName("PortalAsset")
            .WithSummary("Script and style of the portal").WithDescription("app.js, app.css, signout.js.");
        group.MapGet("/login", LoginAsync).WithName("PortalLogin")
            .WithSummary("Start signing in").WithDescription("Redirects to /connect/authorize with PKCE S256, state and nonce kept in a sealed cookie.");
        group.MapGet("/callback", CallbackAsync).WithName("PortalCallback")
            .WithSummary("Redirect URI of the portal").WithDescription("Checks state and iss, redeems the code, validates the ID token (signature, iss, aud, nonce) and starts the portal session.");
        group.MapGet("/session", Session).WithName("PortalSession")
            .WithSummary("The portal session").WithDescription("{name, expiresAt} of the signed-in citizen; 401 when not signed in.");
        group.MapPost("/logout", Logout).WithName("PortalLogout")
            .WithSummary("Sign out").WithDescription("Ends the portal session and posts the browser to /connect/endsession, which ends the SSO session for every portal.");
        return app;
    }

    private static IResult Index(HttpContext context, CitizenPortal portal)
    {
        if (portal.ReadSession(context) is null)
        {
            NoStore(context);
            return TypedResults.Redirect("/portal/login");
        }

        return File(context, portal, "portal/index.html", "text/html; charset=utf-8");
    }

    private static IResult Asset(string asset, HttpContext context, CitizenPortal portal) =>
        Assets.TryGetValue(asset, out var file) ? File(context, portal, file.File, file.ContentType) : TypedResults.NotFound();

    private static async Task<IResult> LoginAsync(HttpContext context, CitizenPortal portal, CancellationToken cancellationToken)
    {
        var provider = await ProviderOrNullAsync(portal, cancellationToken);
        if (provider is not { } found)
        {
            return Unavailable(context, portal);
        }

        var configuration = found.Configuration;
        var request = portal.StartAuthRequest(context);
        NoStore(context);
        return TypedResults.Redirect(QueryHelpers.AddQueryString(configuration.AuthorizationEndpoint, new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = CitizenPortal.ClientId,
            ["redirect_uri"] = portal.RedirectUri,
            ["scope"] = string.Join(' ', CitizenPortal.Scopes),
            ["state"] = request.State,
            ["nonce"] = request.Nonce,
            ["code_challenge"] = CitizenPortal.Challenge(request.CodeVerifier),
            ["code_challenge_method"] = "S256",
        }));
    }

    private static async Task<IResult> CallbackAsync(HttpContext context, CitizenPortal portal, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(PortalApi).FullName!);
        var query = context.Request.Query;
        var request = portal.TakeAuthRequest(context);
        if (request is null)
        {
            LogSignInRejected(logger, "no sign-in in progress");
            return Page(context, portal, "登录已过期", "登录请求已过期或不是从本页面发起的，请重新登录。", StatusCodes.Status400BadRequest, retry: true);
        }

        if (!CitizenPortal.FixedTimeEquals(query["state"].ToString(), request.State))
        {
            LogSignInRejected(logger, "state mismatch");
            return Page(context, portal, "登录失败", "登录回调与本次登录请求不符（state），请重新登录。", StatusCodes.Status400BadRequest, retry: true);
        }

        // RFC 9207: the response names its issuer; a response from any other provider is refused (mix-up attack).
        if (query["iss"].ToString() != portal.Issuer)
        {
            LogSignInRejected(logger, "iss mismatch");
            return Page(context, portal, "登录失败", "登录回调不是来自本平台的统一身份认证（iss），请重新登录。", StatusCodes.Status400BadRequest, retry: true);
        }

        if (query["error"].ToString() is { Length: > 0 } error)
        {
            // Only RFC 6749 error codes are logged as such; anything else in the query is not echoed into the log.
            LogSignInRejected(logger, "provider error " + (error.Length <= 40 && error.All(c => c is (>= 'a' and <= 'z') or '_') ? error : "(other)"));
            return Page(context, portal, "登录未完成", "统一身份认证未完成登录，请重新登录。", StatusCodes.Status400BadRequest, retry: true);
        }

        if (query["code"].ToString() is not { Length: > 0 and <= 200 } code)
        {
            LogSignInRejected(logger, "no code");
            return Page(context, portal, "登录失败", "登录回调缺少授权码，请重新登录。", StatusCodes.Status400BadRequest, retry: true);
        }

        if (await ProviderOrNullAsync(portal, cancellationToken) is not var (configuration, backchannel))
        {
            return Unavailable(context, portal);
        }

        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = portal.RedirectUri,
                ["code_verifier"] = request.CodeVerifier,
            }),
        };
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(CitizenPortal.ClientId)}:{Uri.EscapeDataString(portal.ClientSecret)}")));
        HttpResponseMessage response;
        JsonDocument body;
        try
        {
            response = await backchannel.SendAsync(tokenRequest, cancellationToken);
            body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogProviderUnreachable(logger, e.GetType().Name);
            return Unavailable(context, portal);
        }

        using var disposeResponse = response;
        using var disposeBody = body;
        if (!response.IsSuccessStatusCode || !body.RootElement.TryGetProperty("access_token", out var accessToken)
            || !body.RootElement.TryGetProperty("id_token", out var idToken) || !body.RootElement.TryGetProperty("expires_in", out var expiresIn))
        {
            LogSignInRejected(logger, "token endpoint answered " + (int)response.StatusCode);
            return Page(context, portal, "登录失败", "无法完成登录（授权码无效或已过期），请重新登录。", StatusCodes.Status400BadRequest, retry: true);
        }

        var validated = await ValidateIdTokenAsync(portal, configuration, idToken.GetString()!, cancellationToken);
        if (!validated.IsValid || validated.SecurityToken is not JsonWebToken jwt
            || !jwt.TryGetPayloadValue<string>("nonce", out var nonce) || !CitizenPortal.FixedTimeEquals(nonce, request.Nonce)
            || !jwt.TryGetPayloadValue<string>("at_hash", out var atHash) || !CitizenPortal.FixedTimeEquals(atHash, AtHash(accessToken.GetString()!)))
        {
            LogSignInRejected(logger, "ID token rejected");
            return Page(context, portal, "登录失败", "身份令牌校验未通过，请重新登录。", StatusCodes.Status400BadRequest, retry: true);
        }

        jwt.TryGetPayloadValue<string>("name", out var name);
        var expiresAt = portal.Time.GetUtcNow().ToUnixTimeSeconds() + Math.Max(0, expiresIn.GetInt64() - 30);
        portal.WriteSession(context, new PortalSession(accessToken.GetString()!, idToken.GetString()!, expiresAt, name));
        NoStore(context);
        return TypedResults.Redirect("/portal/");
    }

    private static async Task<(Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration Configuration, HttpClient Backchannel)?> ProviderOrNullAsync(
        CitizenPortal portal, CancellationToken cancellationToken)
    {
        try
        {
            return await portal.ProviderAsync(cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // The metadata could not be fetched (IDX20803): the provider is unreachable from this node.
            return null;
        }
    }

    private static IResult Unavailable(HttpContext context, CitizenPortal portal)
    {
        context.Response.Headers.RetryAfter = "30";
        return Page(context, portal, "暂时无法登录", "统一身份认证暂时无法访问，请稍后重试。", StatusCodes.Status503ServiceUnavailable, retry: true);
    }

    private static async Task<TokenValidationResult> ValidateIdTokenAsync(
        CitizenPortal portal, Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration configuration, string idToken, CancellationToken cancellationToken)
    {
        TokenValidationParameters Parameters(IEnumerable<SecurityKey> keys) => new()
        {
            ValidIssuer = portal.Issuer,
            ValidAudience = CitizenPortal.ClientId,
            IssuerSigningKeys = keys,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ClockSkew = TimeSpan.FromSeconds(60),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };

        var handler = new JsonWebTokenHandler();
        var result = await handler.ValidateTokenAsync(idToken, Parameters(configuration.SigningKeys));
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have started signing with a key published after our copy of its JWKS.
            portal.RefreshProviderKeys();
            var (fresh, _) = await portal.ProviderAsync(cancellationToken);
            result = await handler.ValidateTokenAsync(idToken, Parameters(fresh.SigningKeys));
        }

        return result;
    }

    private static IResult Session(HttpContext context, CitizenPortal portal)
    {
        NoStore(context);
        return portal.ReadSession(context) is { } session
            ? TypedResults.Ok(new PortalSessionDto(session.Name, DateTimeOffset.FromUnixTimeSeconds(session.ExpiresAt)))
            : Problems.Create(StatusCodes.Status401Unauthorized, "not-signed-in", "Not signed in.", "Sign in at /portal/login.");
    }

    private static IResult Logout(HttpContext context, CitizenPortal portal)
    {
        // A cross-site form cannot sign the citizen out: browsers say where a POST comes from (Sec-Fetch-Site; Origin, which
        // is "null" under this page's no-referrer policy). The SameSite=Strict cookie would not be sent with it anyway.
        var site = context.Request.Headers["Sec-Fetch-Site"].ToString();
        var origin = context.Request.Headers.Origin.ToString();
        if (site is "cross-site" or "same-site"
            || (origin.Length > 0 && origin != "null" && origin != portal.Issuer && origin != $"{context.Request.Scheme}://{context.Request.Host}"))
        {
            return Page(context, portal, "请求无效", "退出请求不是从本门户发起的。", StatusCodes.Status403Forbidden, retry: false);
        }

        var session = portal.ReadSession(context, allowExpired: true);
        portal.DeleteSession(context);
        var endSession = portal.Issuer + "/connect/endsession";
        // POSTed, not redirected: the ID token must not appear in a URL.
        var hint = session is null ? string.Empty : $"<input type=\"hidden\" name=\"id_token_hint\" value=\"{Html.Encode(session.IdToken)}\">";
        var body = $"""
            <p>正在退出统一身份认证……</p>
            <form id="endsession" method="post" action="{Html.Encode(endSession)}">
            {hint}<input type="hidden" name="client_id" value="{CitizenPortal.ClientId}">
            <input type="hidden" name="post_logout_redirect_uri" value="{Html.Encode(portal.PostLogoutRedirectUri)}">
            <button type="submit" class="primary">继续退出</button>
            </form>
            <script src="/portal/signout.js"></script>
            """;
        return Page(context, portal, "正在退出", body, StatusCodes.Status200OK, retry: false, rawBody: true);
    }

    private static IResult File(HttpContext context, CitizenPortal portal, string path, string contentType)
    {
        if (WebAssets.Find(path) is null)
        {
            return TypedResults.NotFound();
        }

        SecurityHeaders(context, portal);
        context.Response.Headers.CacheControl = contentType.StartsWith("text/html", StringComparison.Ordinal) ? "no-store" : "no-cache";
        return WebAssets.Serve(path, contentType);
    }

    private static IResult Page(HttpContext context, CitizenPortal portal, string title, string message, int status, bool retry, bool rawBody = false)
    {
        SecurityHeaders(context, portal);
        NoStore(context);
        var content = rawBody ? message : $"<p class=\"notice\" id=\"message\" role=\"alert\">{Html.Encode(message)}</p>";
        var again = retry ? "<p><a class=\"button primary\" id=\"retry\" href=\"/portal/login\">重新登录</a></p>" : string.Empty;
        var html = $"""
            <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>{Html.Encode(title)} · 我的电子证照</title>
            <link rel="stylesheet" href="/portal/app.css"></head>
            <body><header class="bar"><h1>我的电子证照</h1></header><main class="page"><h2>{Html.Encode(title)}</h2>{content}{again}</main></body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static void SecurityHeaders(HttpContext context, CitizenPortal portal)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = string.Format(System.Globalization.CultureInfo.InvariantCulture, PolicyTemplate, portal.Issuer);
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
    }

    private static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
    }

    private static string AtHash(string accessToken) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)).AsSpan(0, 16));

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4100, Message = "Audit: portal sign-in callback rejected ({Reason})")]
    private static partial void LogSignInRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, EventId = 4101, Message = "Portal cannot reach the identity provider's token endpoint ({ExceptionType})")]
    private static partial void LogProviderUnreachable(ILogger logger, string exceptionType);

    /// <summary>Answer of <c>GET /portal/session</c>.</summary>
    public sealed record PortalSessionDto(string? Name, DateTimeOffset ExpiresAt);
}
