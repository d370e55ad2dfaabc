using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CertLibrary.PortalSample;

/// <summary>
/// A citizen portal (社保, 住房, ...) that signs citizens in through the CertLibrary identity provider. One project,
/// configured once per portal: name, client id, secret and address come from configuration.
/// </summary>
public static partial class PortalApplication
{
    private const string CorrelationPurpose = "CertLibrary.PortalSample.PendingSignIn";

    /// <summary>Builds the portal; <paramref name="configure"/> may add configuration or services (the tests use it).</summary>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(PortalApplication).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        // Request logs would carry the authorization code in the callback's query string.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddOptions<PortalOptions>()
            .Bind(builder.Configuration.GetSection("Portal"))
            .Validate(o => Uri.TryCreate(o.Authority, UriKind.Absolute, out _), "Portal:Authority must be the provider's absolute issuer URL.")
            .Validate(o => o.ClientId.Length > 0 && o.ClientSecret.Length > 0, "Portal:ClientId and Portal:ClientSecret are required.")
            .Validate(o => o.PublicUrl is null || Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out _), "Portal:PublicUrl must be an absolute URL.")
            .ValidateOnStart();
        var clientId = builder.Configuration["Portal:ClientId"] ?? "portal";

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PortalTicketStore>();
        builder.Services.AddSingleton<OidcRelyingParty>();
        builder.Services.AddHttpClient(OidcRelyingParty.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10));
        // Several portals may share a host name (cookies ignore the port): every cookie and key purpose carries the client id.
        builder.Services.AddDataProtection().SetApplicationName("CertLibrary.PortalSample." + clientId);
        builder.Services.AddAntiforgery(o => o.Cookie.Name = "portal." + clientId + ".af");
        builder.Services.AddAuthentication(PortalClaims.Scheme).AddCookie(o =>
        {
            o.Cookie.Name = "portal." + clientId;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/login";
            o.SlidingExpiration = true;
        });
        builder.Services.AddOptions<CookieAuthenticationOptions>(PortalClaims.Scheme)
            .Configure<PortalTicketStore, IOptions<PortalOptions>>((o, store, portal) =>
            {
                o.SessionStore = store;
                o.ExpireTimeSpan = portal.Value.SessionLifetime;
            });
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.Use(ProviderUnavailableAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/", Home).RequireAuthorization();
        app.MapGet("/login", LoginAsync);
        app.MapGet("/signin-oidc", CallbackAsync);
        app.MapPost("/logout", LogoutAsync);
        app.MapGet("/signed-out", SignedOut);
        app.MapPost("/signout-backchannel", BackChannelLogoutAsync);
        return app;
    }

    private static IResult Home(HttpContext context, IAntiforgery antiforgery, IOptions<PortalOptions> options)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var name = context.User.FindFirstValue(PortalClaims.Name) ?? string.Empty;
        return PortalPages.Page(context, options.Value.Name, $"""
            <p id="user">已登录: {PortalPages.Encode(name)}</p>
            <p>您已通过统一身份认证登录本门户，可在此办理{PortalPages.Encode(options.Value.Name)}的各项业务。</p>
            <form method="post" action="/logout">
            <input type="hidden" name="{PortalPages.Encode(tokens.FormFieldName)}" value="{PortalPages.Encode(tokens.RequestToken ?? string.Empty)}">
            <button type="submit" id="logout">退出登录</button>
            </form>
            """);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, OidcRelyingParty oidc, IDataProtectionProvider protection,
        IOptions<PortalOptions> options, string? returnUrl, CancellationToken cancellationToken)
    {
        var pending = OidcRelyingParty.NewSignIn(BaseUrl(context, options.Value) + "/signin-oidc", IsLocal(returnUrl) ? returnUrl! : "/");
        var url = await oidc.AuthorizationUrlAsync(pending, cancellationToken);
        // One cookie per pending sign-in (named after its state), so two tabs signing in at once do not disturb each other.
        context.Response.Cookies.Append(CorrelationCookie(options.Value, pending.State),
            protection.CreateProtector(CorrelationPurpose).Protect(JsonSerializer.Serialize(pending)), new CookieOptions
            {
                HttpOnly = true,
                Secure = context.Request.IsHttps,
                SameSite = SameSiteMode.Lax,
                Path = "/signin-oidc",
                MaxAge = TimeSpan.FromMinutes(10),
                IsEssential = true,
            });
        context.Response.Headers.CacheControl = "no-store";
        return Results.Redirect(url);
    }

    private static async Task<IResult> CallbackAsync(HttpContext context, OidcRelyingParty oidc, IDataProtectionProvider protection,
        IOptions<PortalOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var state = context.Request.Query["state"].ToString();
        var cookieName = state.Length is > 0 and <= 100 ? CorrelationCookie(options.Value, state) : null;
        PendingSignIn? pending = null;
        if (cookieName is not null && context.Request.Cookies.TryGetValue(cookieName, out var protectedPending))
        {
            context.Response.Cookies.Delete(cookieName, new CookieOptions { Path = "/signin-oidc" });
            try
            {
                pending = JsonSerializer.Deserialize<PendingSignIn>(protection.CreateProtector(CorrelationPurpose).Unprotect(protectedPending));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                pending = null;
            }
        }

        if (pending is null)
        {
            return PortalPages.Problem(context, options.Value.Name, "登录请求已过期或不是从本门户发起的，请重新登录。");
        }

        try
        {
            var user = await oidc.CompleteSignInAsync(pending, context.Request.Query, cancellationToken);
            var claims = new List<Claim> { new(PortalClaims.Subject, user.Subject), new(PortalClaims.Name, user.Name) };
            if (user.SessionId is not null)
            {
                claims.Add(new Claim(PortalClaims.SessionId, user.SessionId));
            }

            var properties = new AuthenticationProperties();
            properties.StoreTokens([new AuthenticationToken { Name = "id_token", Value = user.IdToken }]);
            await context.SignInAsync(PortalClaims.Scheme, new ClaimsPrincipal(new ClaimsIdentity(claims, PortalClaims.Scheme, PortalClaims.Name, null)), properties);
            return Results.Redirect(pending.ReturnUrl);
        }
        catch (SignInException e)
        {
            LogSignInFailed(loggers.CreateLogger(typeof(PortalApplication)), e.Message);
            return PortalPages.Problem(context, options.Value.Name, "登录失败：" + e.Message);
        }
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, IAntiforgery antiforgery, OidcRelyingParty oidc,
        IOptions<PortalOptions> options, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PortalPages.Problem(context, options.Value.Name, "页面已过期，请刷新后再退出。");
        }

        var result = await context.AuthenticateAsync(PortalClaims.Scheme);
        var idToken = result.Properties?.GetTokenValue("id_token");
        await context.SignOutAsync(PortalClaims.Scheme);
        var signedOut = BaseUrl(context, options.Value) + "/signed-out";
        if (idToken is null)
        {
            return Results.Redirect("/signed-out");
        }

        // RP-initiated logout by POST, so the ID token never travels in a URL (and never lands in a log).
        var configuration = await oidc.GetConfigurationAsync(cancellationToken);
        return PortalPages.AutoPost(context, options.Value.Name, configuration.EndSessionEndpoint, new Dictionary<string, string>
        {
            ["id_token_hint"] = idToken,
            ["client_id"] = options.Value.ClientId,
            ["post_logout_redirect_uri"] = signedOut,
        });
    }

    private static IResult SignedOut(HttpContext context, IOptions<PortalOptions> options) =>
        PortalPages.Page(context, options.Value.Name, """
            <p id="signed-out">您已退出登录。</p>
            <p><a id="login-again" href="/">重新登录</a></p>
            """);

    private static async Task<Results<Ok, BadRequest<Dictionary<string, string>>>> BackChannelLogoutAsync(
        HttpContext context, OidcRelyingParty oidc, PortalTicketStore sessions, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        static BadRequest<Dictionary<string, string>> Refuse(string description) =>
            TypedResults.BadRequest(new Dictionary<string, string> { ["error"] = "invalid_request", ["error_description"] = description });

        if (!context.Request.HasFormContentType)
        {
            return Refuse("The request must be application/x-www-form-urlencoded.");
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var token = form["logout_token"];
        if (token.Count != 1 || string.IsNullOrEmpty(token[0]))
        {
            return Refuse("logout_token is required, once.");
        }

        var logout = await oidc.ValidateLogoutTokenAsync(token[0]!, cancellationToken);
        var logger = loggers.CreateLogger(typeof(PortalApplication));
        if (logout.Error is not null)
        {
            LogLogoutTokenRefused(logger, logout.Error);
            return Refuse(logout.Error);
        }

        LogBackChannelLogout(logger, sessions.RemoveSessions(logout.SessionId, logout.Subject));
        return TypedResults.Ok();
    }

    private static async Task ProviderUnavailableAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException
            && !context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            // Discovery, JWKS or the token endpoint could not be reached (or answered nonsense): say so, never a bare 500.
            // The back-channel endpoint answers 503 too, so the provider retries.
            var services = context.RequestServices;
            LogProviderUnavailable(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PortalApplication)), e.GetType().Name);
            context.Response.Clear();
            await PortalPages.Problem(context, services.GetRequiredService<IOptions<PortalOptions>>().Value.Name,
                "统一身份认证服务暂时无法访问，请稍后再试。", StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
        }
    }

    private static string BaseUrl(HttpContext context, PortalOptions options) =>
        options.PublicUrl?.TrimEnd('/') ?? $"{context.Request.Scheme}://{context.Request.Host.ToUriComponent()}{context.Request.PathBase.ToUriComponent()}";

    private static string CorrelationCookie(PortalOptions options, string state) =>
        "portal." + options.ClientId + ".oidc." + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(state)))[..16];

    // A path on this portal: one leading slash and no second one; no backslash, space or control character anywhere
    // (browsers read a backslash as a slash and drop tabs and line breaks: "/\evil.example" or "/<tab>/evil.example" would leave).
    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || url[1] != '/')
        && !url.AsSpan().ContainsAnyInRange('\u0000', ' ') && !url.AsSpan().ContainsAny('\u007f', '\\');

    [LoggerMessage(Level = LogLevel.Warning, Message = "The identity provider could not be used ({ExceptionType})")]
    private static partial void LogProviderUnavailable(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in failed: {Reason}")]
    private static partial void LogSignInFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Back-channel logout refused: {Reason}")]
    private static partial void LogLogoutTokenRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Back-channel logout ended {Count} local session(s)")]
    private static partial void LogBackChannelLogout(ILogger logger, int count);
}
