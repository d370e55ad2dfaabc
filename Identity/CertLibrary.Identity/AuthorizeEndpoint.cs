using Microsoft.AspNetCore;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using CertLibrary.Identifiers;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CertLibrary.Identity;

/// <summary>A validated authorization request.</summary>
internal sealed record AuthorizeRequest(
    IdentityClient Client, string RedirectUri, string[] Scopes, string[] Prompt, int? MaxAge, string? HintSubject, string[] AcrValues, string RawQuery)
{
    /// <summary>
    /// Whether the client demands the second factor: <c>acr_values</c> names <see cref="IdentityConstants.AcrMultiFactor"/>
    /// and not <see cref="IdentityConstants.AcrPassword"/> (a list holding both means either will do).
    /// </summary>
    public bool RequiresMfa => AcrValues.Contains(IdentityConstants.AcrMultiFactor) && !AcrValues.Contains(IdentityConstants.AcrPassword);
}

/// <summary>
/// The pages behind <c>/connect/authorize</c> (OpenIddict's authorization endpoint, in passthrough mode): OpenIddict has
/// validated the request (client, exact redirect URI — a mismatch shows an error page and never redirects —, PKCE S256,
/// response type and mode) and answers with the code, <c>state</c> and <c>iss</c> (RFC 9207) once this class signs the
/// citizen in. The sign-in forms post to their own paths, each also an authorization endpoint whose request is the one the
/// form carries. A client that is not first-party asking for the citizen API scopes gets the code only after the citizen
/// approved them on the consent screen (remembered; <c>prompt=none</c> answers <c>consent_required</c> until then).
/// </summary>
internal sealed partial class AuthorizeEndpoint(
    ClientManager clients,
    ClientConsentManager consents,
    CitizenManager citizens,
    SessionStore store,
    SessionCookie sessions,
    IAntiforgery antiforgery,
    TotpManager totp,
    IDataProtectionProvider dataProtection,
    IOptions<IdentityOptions> options,
    TimeProvider time,
    ILogger<AuthorizeEndpoint> logger) : IDisposable
{
    public const string LoginPath = "/connect/authorize/login";

    public const string SecondFactorPath = "/connect/authorize/otp";

    public const string ConsentPath = "/connect/authorize/consent";

    /// <summary>How long the proof of a correct password waits for the second factor.</summary>
    public static readonly TimeSpan SecondFactorTicketLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Amr of a password-only sign-in (RFC 8176).</summary>
    public static readonly string[] PasswordAmr = ["pwd"];

    /// <summary>Amr of a password and TOTP sign-in (RFC 8176: two factors also make it "mfa").</summary>
    public static readonly string[] MultiFactorAmr = ["pwd", "otp", "mfa"];

    /// <summary>
    /// Amr of a password and recovery-code sign-in: still two factors ("mfa", acr mfa), but not "otp" — a portal that
    /// wants to know the authenticator itself was used, or to suggest re-enrolling it, can tell the two apart.
    /// </summary>
    public static readonly string[] RecoveryCodeAmr = ["pwd", "mfa"];

    private readonly ITimeLimitedDataProtector _tickets = dataProtection.CreateProtector("CertLibrary.Identity.SecondFactorTicket.v1").ToTimeLimitedDataProtector();

    // Binds a consent form to the citizen it was shown to and to its request; its own purpose, so it never passes for a
    // second-factor ticket (nor the other way round).
    private readonly ITimeLimitedDataProtector _consentTickets = dataProtection.CreateProtector("CertLibrary.Identity.ConsentTicket.v1").ToTimeLimitedDataProtector();

    private readonly PartitionedRateLimiter<string> _loginLimiter = PartitionedRateLimiter.Create<string, string>(ip =>
        RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.LoginAttemptsPerIpPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    /// <summary>Every authorization endpoint path (the request and the three sign-in forms) lands here.</summary>
    public static async Task<IResult> HandleAsync(HttpContext context, AuthorizeEndpoint endpoint, CancellationToken cancellationToken)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
        var path = context.Request.Path.Value ?? string.Empty;
        if (path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase))
        {
            return await endpoint.PostLoginAsync(context, request, cancellationToken);
        }

        if (path.Equals(SecondFactorPath, StringComparison.OrdinalIgnoreCase))
        {
            return await endpoint.PostSecondFactorAsync(context, request, cancellationToken);
        }

        if (path.Equals(ConsentPath, StringComparison.OrdinalIgnoreCase))
        {
            return await endpoint.PostConsentAsync(context, request, cancellationToken);
        }

        (AuthorizeRequest? authorize, IResult? failure) = await endpoint.ValidateAsync(context, request, ToQueryString(request), cancellationToken);
        return authorize is null ? failure! : await endpoint.AuthorizeAsync(context, authorize, cancellationToken);
    }

    public void Dispose() => _loginLimiter.Dispose();

    private async Task<IResult> AuthorizeAsync(HttpContext context, AuthorizeRequest request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(context, cancellationToken);
        var now = time.GetUtcNow();
        var tooOld = session is not null && request.MaxAge is { } maxAge && now - session.AuthTime > TimeSpan.FromSeconds(maxAge);
        var otherUser = session is not null && request.HintSubject is not null && request.HintSubject != session.Subject;
        var wantsMfa = session is not null && request.RequiresMfa && session.Acr != IdentityConstants.AcrMultiFactor;
        if (request.Prompt.Contains("none"))
        {
            if (session is null || tooOld || otherUser || wantsMfa)
            {
                return RedirectError(request, Errors.LoginRequired, "The end user must log in.");
            }

            // OIDC Core §3.1.2.6: no page may be shown, and the citizen has not approved these scopes for this client.
            return await NeedsConsentAsync(request, session.Subject, cancellationToken)
                ? RedirectError(request, Errors.ConsentRequired, "The end user must approve the requested scopes for this client.")
                : await CompleteAsync(request, session, cancellationToken);
        }

        if (session is null || tooOld || otherUser || wantsMfa || request.Prompt.Contains("login"))
        {
            return LoginPage(context, request.RawQuery, null);
        }

        return await NeedsConsentAsync(request, session.Subject, cancellationToken)
            ? ConsentPage(context, request, session.Subject)
            : await CompleteAsync(request, session, cancellationToken);
    }

    /// <summary>
    /// Whether the citizen must approve the request on the consent screen first: a client that is not first-party asks for
    /// citizen API scopes the citizen has not approved for it, or asks for any of them with <c>prompt=consent</c>.
    /// </summary>
    private async Task<bool> NeedsConsentAsync(AuthorizeRequest request, string subject, CancellationToken cancellationToken) =>
        !request.Client.IsFirstParty && request.Scopes.Any(IdentityConstants.ConsentScopes.Contains)
        && (request.Prompt.Contains("consent") || !await consents.IsApprovedAsync(subject, request.Client, request.Scopes, cancellationToken));

    private async Task<IResult> PostLoginAsync(HttpContext context, OpenIddictRequest oidc, CancellationToken cancellationToken)
    {
        var (form, request, rawQuery, error) = await ReadSignInPostAsync(context, oidc, cancellationToken);
        if (request is null)
        {
            return error!;
        }

        if (RateLimited(context) is { } limited)
        {
            return limited;
        }

        if (!CitizenId.TryParse(form!["idNumber"].ToString().Trim(), out var citizenId, out _))
        {
            LogLoginFailed(logger);
            return LoginPage(context, rawQuery, Pages.T(context, "身份证号码或密码错误。", "Wrong identity number or password."));
        }

        var (outcome, citizen) = await citizens.CheckPasswordAsync(citizenId, form["password"].ToString(), options.Value, cancellationToken);
        switch (outcome)
        {
            case LoginOutcome.LockedOut:
                LogLoginFailed(logger);
                return LoginPage(context, rawQuery, Pages.T(context, "登录失败次数过多，账户已暂时锁定，请 15 分钟后再试。",
                    "Too many failed sign-ins: the account is locked for 15 minutes."), StatusCodes.Status429TooManyRequests);
            case LoginOutcome.Invalid:
                LogLoginFailed(logger);
                return LoginPage(context, rawQuery, Pages.T(context, "身份证号码或密码错误。", "Wrong identity number or password."));
        }

        if (citizen!.TotpEnabled)
        {
            // The password was right; the sign-in completes only with the code. Nothing is started until then.
            return SecondFactorPage(context, rawQuery, ProtectTicket(_tickets, citizen.Subject, rawQuery), null);
        }

        if (request.RequiresMfa)
        {
            // No second factor enrolled: the password session stands (the citizen can enrol at /account/totp with it),
            // but this client asked for more than a password can give (OIDC unmet authentication requirements).
            await sessions.StartAsync(context, citizen.Subject, IdentityConstants.AcrPassword, PasswordAmr, cancellationToken);
            LogLoginSucceeded(logger, citizen.Subject);
            return RedirectError(request, "unmet_authentication_requirements",
                "The client requires a second factor and the end user has not enrolled one.");
        }

        return await SignInAsync(context, request, citizen.Subject, IdentityConstants.AcrPassword, PasswordAmr, cancellationToken);
    }

    /// <summary>Completes a sign-in: a new session and, unless the consent screen comes first, the code for the waiting client.</summary>
    private async Task<IResult> SignInAsync(HttpContext context, AuthorizeRequest request, string subject, string acr, string[] amr, CancellationToken cancellationToken)
    {
        var session = await sessions.StartAsync(context, subject, acr, amr, cancellationToken);
        LogLoginSucceeded(logger, subject);
        return await NeedsConsentAsync(request, subject, cancellationToken)
            ? ConsentPage(context, request, subject) // signed in; the code waits for the citizen's answer
            : await CompleteAsync(request, session, cancellationToken);
    }

    /// <summary>
    /// A posted sign-in step (password, second factor, consent): a form with a valid antiforgery token, and the
    /// authorization request it carries (<c>request</c>, the original query), which OpenIddict validated again.
    /// </summary>
    private async Task<(IFormCollection? Form, AuthorizeRequest? Request, string RawQuery, IResult? Error)> ReadSignInPostAsync(
        HttpContext context, OpenIddictRequest oidc, CancellationToken cancellationToken)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return (null, null, string.Empty,
                Pages.Error(context, "页面已过期或请求来源无效，请重新登录。", "The page expired or the request did not come from it; please sign in again."));
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var rawQuery = form["request"].ToString();
        var (request, error) = await ValidateAsync(context, oidc, rawQuery, cancellationToken);
        return (form, request, rawQuery, error);
    }

    /// <summary>The per-address limit on sign-in attempts (password and code steps together): a 429 page when reached.</summary>
    private IResult? RateLimited(HttpContext context)
    {
        using var lease = _loginLimiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }

        LogRateLimited(logger);
        context.Response.Headers.RetryAfter = "60";
        return Pages.Error(context, "尝试次数过多，请稍后再试。", "Too many attempts; try again later.", StatusCodes.Status429TooManyRequests);
    }

    private async Task<IResult> PostSecondFactorAsync(HttpContext context, OpenIddictRequest oidc, CancellationToken cancellationToken)
    {
        var (form, request, rawQuery, error) = await ReadSignInPostAsync(context, oidc, cancellationToken);
        if (request is null)
        {
            return error!;
        }

        var ticket = form!["ticket"].ToString();
        if (UnprotectTicket(_tickets, ticket, rawQuery) is not { } subject)
        {
            return Pages.Error(context, "验证已超时，请重新登录。", "The sign-in timed out; please sign in again.");
        }

        if (RateLimited(context) is { } limited)
        {
            return limited;
        }

        // A recovery code (its own form on the page) stands in for the authenticator's code.
        var recoveryCode = form["recovery_code"].ToString();
        var outcome = recoveryCode.Length > 0
            ? await totp.VerifyRecoveryCodeAsync(subject, recoveryCode, cancellationToken)
            : await totp.VerifyAsync(subject, form["code"].ToString(), cancellationToken);
        switch (outcome)
        {
            case TotpOutcome.Success:
                return await SignInAsync(context, request, subject, IdentityConstants.AcrMultiFactor,
                    recoveryCode.Length > 0 ? RecoveryCodeAmr : MultiFactorAmr, cancellationToken);
            case TotpOutcome.Invalid or TotpOutcome.Replayed:
                LogLoginFailed(logger);
                return SecondFactorPage(context, rawQuery, ticket, recoveryCode.Length > 0
                    ? Pages.T(context, "恢复码错误或已使用。", "Wrong or already used recovery code.")
                    : Pages.T(context, "动态验证码错误或已使用，请输入验证器中的新验证码。", "Wrong or already used code; enter the next code your authenticator shows."));
            case TotpOutcome.LockedOut:
                LogLoginFailed(logger);
                return LoginPage(context, rawQuery, Pages.T(context, "登录失败次数过多，账户已暂时锁定，请 15 分钟后再试。",
                    "Too many failed sign-ins: the account is locked for 15 minutes."), StatusCodes.Status429TooManyRequests);
            default:
                return LoginPage(context, rawQuery, Pages.T(context, "验证已超时，请重新登录。", "The sign-in timed out; please sign in again."));
        }
    }

    private string ProtectTicket(ITimeLimitedDataProtector protector, string subject, string rawQuery) =>
        protector.Protect(subject + "\n" + RequestHash(rawQuery), time.GetUtcNow() + SecondFactorTicketLifetime);

    /// <summary>
    /// The subject the ticket names (whose password was checked, or who was shown the consent screen), when the ticket is
    /// authentic, unexpired and for this very request.
    /// </summary>
    private string? UnprotectTicket(ITimeLimitedDataProtector protector, string ticket, string rawQuery)
    {
        if (ticket.Length is 0 or > 2048)
        {
            return null;
        }

        try
        {
            var parts = protector.Unprotect(ticket, out var expiration).Split('\n');
            return parts.Length == 2 && expiration > time.GetUtcNow() && parts[1] == RequestHash(rawQuery) ? parts[0] : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static string RequestHash(string rawQuery) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(rawQuery)));

    private IResult SecondFactorPage(HttpContext context, string rawQuery, string ticket, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var action = context.Request.PathBase + SecondFactorPath;
        var body = $"""
            {(error is null ? string.Empty : $"<p class=\"error\" id=\"error\" role=\"alert\">{Pages.Encode(error)}</p>")}
            <p>{Pages.T(context, "请输入身份验证器应用中显示的 6 位动态验证码。", "Enter the 6-digit code shown by your authenticator app.")}</p>
            <form method="post" action="{Pages.Encode(action)}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            {Pages.Hidden("request", rawQuery)}
            {Pages.Hidden("ticket", ticket)}
            <label for="code">{Pages.T(context, "动态验证码", "Code")}</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required autofocus>
            <button type="submit" id="verify">{Pages.T(context, "验证", "Verify")}</button>
            </form>
            <details><summary>{Pages.T(context, "无法使用验证器？使用恢复码", "Can't use your authenticator? Use a recovery code")}</summary>
            <form method="post" action="{Pages.Encode(action)}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            {Pages.Hidden("request", rawQuery)}
            {Pages.Hidden("ticket", ticket)}
            <label for="recovery_code">{Pages.T(context, "恢复码（如 ABCD-EFGH-JKMN）", "Recovery code (like ABCD-EFGH-JKMN)")}</label>
            <input id="recovery_code" name="recovery_code" autocomplete="off" autocapitalize="characters" maxlength="40" required>
            <button type="submit" id="use-recovery-code">{Pages.T(context, "使用恢复码", "Use recovery code")}</button>
            </form></details>
            """;
        return Pages.Html(context, Pages.T(context, "统一身份认证 · 两步验证", "Unified identity · Two-step verification"), body);
    }

    /// <summary>
    /// The citizen's answer on the consent screen: approve (remembered, then the code) or refuse (<c>access_denied</c>). Only
    /// for the citizen the screen was shown to, still signed in, and the very request it was shown for.
    /// </summary>
    private async Task<IResult> PostConsentAsync(HttpContext context, OpenIddictRequest oidc, CancellationToken cancellationToken)
    {
        var (form, request, rawQuery, error) = await ReadSignInPostAsync(context, oidc, cancellationToken);
        if (request is null)
        {
            return error!;
        }

        var session = await sessions.GetAsync(context, cancellationToken);
        if (session is null || UnprotectTicket(_consentTickets, form!["ticket"].ToString(), rawQuery) != session.Subject)
        {
            return LoginPage(context, rawQuery, Pages.T(context, "登录已失效，请重新登录。", "Your sign-in ended; please sign in again."));
        }

        switch (form["decision"].ToString())
        {
            case "allow":
                await consents.ApproveAsync(session.Subject, request.Client.ClientId, request.Scopes, cancellationToken);
                return await CompleteAsync(request, session, cancellationToken);
            case "deny":
                return RedirectError(request, Errors.AccessDenied, "The end user refused the authorization.");
            default:
                return Pages.Error(context, "请求无效。", "Invalid request.");
        }
    }

    private IResult ConsentPage(HttpContext context, AuthorizeRequest request, string subject)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var action = context.Request.PathBase + ConsentPath;
        var scopes = string.Concat(request.Scopes.Where(IdentityConstants.ConsentScopes.Contains)
            .Select(s => $"<li data-scope=\"{Pages.Encode(s)}\">{Pages.Encode(ScopeDescription(context, s))}</li>"));
        var host = new Uri(request.RedirectUri).Authority;
        var body = $"""
            <p id="consent-client">{Pages.Encode(Pages.T(context, $"应用“{request.Client.Name}”请求以下权限：", $"The application \u201C{request.Client.Name}\u201D asks to:"))}</p>
            <ul id="consent-scopes">{scopes}</ul>
            <p>{Pages.Encode(Pages.T(context, $"同意后将返回 {host}。您可以随时在“我的电子证照”门户的授权管理中撤销。",
                $"If you allow, you return to {host}. You can revoke this at any time in the citizen portal, under Consents."))}</p>
            <form method="post" action="{Pages.Encode(action)}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            {Pages.Hidden("request", request.RawQuery)}
            {Pages.Hidden("ticket", ProtectTicket(_consentTickets, subject, request.RawQuery))}
            <button type="submit" name="decision" value="allow" id="allow">{Pages.T(context, "同意", "Allow")}</button>
            <button type="submit" name="decision" value="deny" id="deny">{Pages.T(context, "拒绝", "Deny")}</button>
            </form>
            """;
        return Pages.Html(context, Pages.T(context, "统一身份认证 · 授权", "Unified identity · Authorize"), body);
    }

    private static string ScopeDescription(HttpContext context, string scope) => scope switch
    {
        IdentityConstants.MeReadScope => Pages.T(context, "查看您名下的全部电子证照（含身份证号码等信息）、授权设置、部门授权和用证记录",
            "Read all your certificates (with your identity number and every field), your settings, consents and access log"),
        IdentityConstants.MeManageScope => Pages.T(context, "更改您的授权设置，为部门授权或撤回授权，管理已授权的应用",
            "Change your settings, grant or withdraw consents to departments, and manage authorized applications"),
        _ => scope,
    };

    private IResult LoginPage(HttpContext context, string rawQuery, string? error, int status = StatusCodes.Status200OK)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var action = context.Request.PathBase + LoginPath;
        var body = $"""
            {(error is null ? string.Empty : $"<p class=\"error\" id=\"error\" role=\"alert\">{Pages.Encode(error)}</p>")}
            <form method="post" action="{Pages.Encode(action)}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            {Pages.Hidden("request", rawQuery)}
            <label for="idNumber">{Pages.T(context, "身份证号码", "Identity number")}</label>
            <input id="idNumber" name="idNumber" inputmode="text" maxlength="18" required autofocus>
            <label for="password">{Pages.T(context, "密码", "Password")}</label>
            <input id="password" name="password" type="password" maxlength="128" required>
            <button type="submit" id="login">{Pages.T(context, "登录", "Sign in")}</button>
            </form>
            """;
        return Pages.Html(context, Pages.T(context, "统一身份认证 · 登录", "Unified identity · Sign in"), body, status);
    }

    /// <summary>
    /// Answers the request from a session (SSO): OpenIddict issues the code for the citizen, with the session's <c>sid</c>,
    /// <c>auth_time</c>, <c>acr</c> and <c>amr</c>; the client joins the session's portals (back-channel logout).
    /// </summary>
    private async Task<IResult> CompleteAsync(AuthorizeRequest request, SessionRow session, CancellationToken cancellationToken)
    {
        await store.AddClientAsync(session, request.Client.ClientId, cancellationToken);
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, session.Subject)
            .SetClaim(Claims.AuthenticationTime, session.AuthTime.ToUnixTimeSeconds())
            .SetClaim(Claims.AuthenticationContextReference, session.Acr)
            .SetClaim("sid", session.SessionId);

        // amr is always a JSON array (RFC 8176), even with one method.
        identity.AddClaim(new Claim(Claims.AuthenticationMethodReference, JsonSerializer.Serialize(session.Amr), JsonClaimValueTypes.JsonArray));
        if (request.Scopes.Contains(IdentityConstants.ProfileScope) && await citizens.FindBySubjectAsync(session.Subject, cancellationToken) is { } citizen)
        {
            identity.SetClaim(Claims.Name, citizen.Name);
        }

        // The identity number only to a client allowed the scope, and only in the ID token (and UserInfo), never in access tokens.
        if (request.Scopes.Contains(IdentityConstants.CitizenIdScope) && await citizens.GetCitizenIdAsync(session.Subject, cancellationToken) is { } id)
        {
            identity.SetClaim(IdentityConstants.CitizenIdClaim, id.ToString());
        }

        identity.SetScopes(request.Scopes);
        identity.SetResources(IdentityConstants.ApiAudience);
        identity.SetDestinations(static claim => claim.Type switch
        {
            Claims.Name or IdentityConstants.CitizenIdClaim => [Destinations.IdentityToken],
            _ => [Destinations.AccessToken, Destinations.IdentityToken],
        });
        return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// The project's rules on top of OpenIddict's validation: the client may hold every requested scope, <c>prompt</c>
    /// values, <c>max_age</c>, and the subject named by a valid <c>id_token_hint</c> (an ID token issued to this client).
    /// </summary>
    private async Task<(AuthorizeRequest? Request, IResult? Error)> ValidateAsync(
        HttpContext context, OpenIddictRequest oidc, string rawQuery, CancellationToken cancellationToken)
    {
        var client = oidc.ClientId is null ? null : await clients.FindAsync(oidc.ClientId, cancellationToken);
        if (client is null)
        {
            return (null, Pages.Error(context, "未知的应用（client_id）。", "Unknown application (client_id)."));
        }

        var redirectUri = oidc.RedirectUri!;
        IResult Fail(string error, string description) =>
            RedirectError(new AuthorizeRequest(client, redirectUri, [], [], null, null, [], rawQuery), error, description);

        var scopes = oidc.GetScopes().Distinct(StringComparer.Ordinal).ToArray();
        if (scopes.Length == 0 || scopes.Any(s => !client.Scopes.Contains(s)))
        {
            return (null, Fail(Errors.InvalidScope, "The scope is missing or not allowed for this client."));
        }

        var prompt = (oidc.Prompt ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (prompt.Contains(PromptValues.None) && prompt.Length > 1)
        {
            return (null, Fail(Errors.InvalidRequest, "prompt=none cannot be combined with other values."));
        }

        int? maxAge = oidc.MaxAge is { } age ? (int)Math.Min(age, int.MaxValue) : null;
        string? hintSubject = null;
        if (oidc.IdTokenHint is not null)
        {
            // OpenIddict validated the hint (signature, issuer, an ID token); it must also have been issued to this client.
            var hint = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (hint.Principal is not { } principal || principal.GetClaim(Claims.Subject) is null
                || !principal.GetAudiences().Contains(client.ClientId, StringComparer.Ordinal))
            {
                return (null, Fail(Errors.InvalidRequest, "id_token_hint is not an ID token this provider issued to this client."));
            }

            hintSubject = principal.GetClaim(Claims.Subject);
        }

        var acrValues = (oidc.AcrValues ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (new AuthorizeRequest(client, redirectUri, scopes, prompt, maxAge, hintSubject, acrValues, rawQuery), null);
    }

    /// <summary>The request as a query string: what the sign-in forms carry and their tickets are bound to.</summary>
    private static string ToQueryString(OpenIddictRequest request) =>
        QueryString.Create(request.GetParameters().SelectMany(p => (p.Value.GetUnnamedParameters() is { Count: > 0 } values ? values.Select(v => (string?)v) : [(string?)p.Value]).Select(v => new KeyValuePair<string, string?>(p.Key, v)))).ToString();

    /// <summary>An error returned to the client by OpenIddict, at its redirect URI, in its response mode, with <c>state</c> and <c>iss</c>.</summary>
    private IResult RedirectError(AuthorizeRequest request, string error, string description)
    {
        LogAuthorizeError(logger, request.Client.ClientId, error);
        return Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    [LoggerMessage(Level = LogLevel.Information, EventId = 4020, Message = "Audit: login succeeded for citizen {Subject}")]
    private static partial void LogLoginSucceeded(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4021, Message = "Audit: login failed")]
    private static partial void LogLoginFailed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4022, Message = "Audit: login rate limit reached for a client address")]
    private static partial void LogRateLimited(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4023, Message = "Authorization request of client {ClientId} answered with {Error}")]
    private static partial void LogAuthorizeError(ILogger logger, string clientId, string error);
}
