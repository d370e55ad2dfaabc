using System.Threading.RateLimiting;
using CertLibrary.Identifiers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace CertLibrary.Identity;

/// <summary>A validated authorization request.</summary>
internal sealed record AuthorizeRequest(
    IdentityClient Client, string RedirectUri, string[] Scopes, string? State, string? Nonce, string CodeChallenge,
    string[] Prompt, int? MaxAge, string? HintSubject, string[] AcrValues, string RawQuery)
{
    /// <summary>
    /// Whether the client demands the second factor: <c>acr_values</c> names <see cref="IdentityConstants.AcrMultiFactor"/>
    /// and not <see cref="IdentityConstants.AcrPassword"/> (a list holding both means either will do).
    /// </summary>
    public bool RequiresMfa => AcrValues.Contains(IdentityConstants.AcrMultiFactor) && !AcrValues.Contains(IdentityConstants.AcrPassword);
}

/// <summary>
/// <c>/connect/authorize</c> and the login form behind it: authorization code with PKCE S256 only, exact redirect URI
/// match (a mismatch shows an error page and never redirects), <c>state</c> and <c>iss</c> (RFC 9207) in the response.
/// A client that is not first-party asking for the citizen API scopes gets the code only after the citizen approved them
/// on the consent screen (remembered; <c>prompt=none</c> answers <c>consent_required</c> until then).
/// </summary>
internal sealed partial class AuthorizeEndpoint(
    ClientManager clients,
    ClientConsentManager consents,
    CitizenManager citizens,
    GrantStore store,
    SessionCookie sessions,
    TokenFactory tokens,
    IssuerResolver issuers,
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

    public static async Task<IResult> HandleAsync(HttpContext context, AuthorizeEndpoint endpoint, CancellationToken cancellationToken)
    {
        IEnumerable<KeyValuePair<string, StringValues>> parameters = HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType
            ? await context.Request.ReadFormAsync(cancellationToken)
            : context.Request.Query;
        return await endpoint.AuthorizeAsync(context, parameters.ToList(), cancellationToken);
    }

    public static Task<IResult> LoginAsync(HttpContext context, AuthorizeEndpoint endpoint, CancellationToken cancellationToken) =>
        endpoint.PostLoginAsync(context, cancellationToken);

    public static Task<IResult> SecondFactorAsync(HttpContext context, AuthorizeEndpoint endpoint, CancellationToken cancellationToken) =>
        endpoint.PostSecondFactorAsync(context, cancellationToken);

    public static Task<IResult> ConsentAsync(HttpContext context, AuthorizeEndpoint endpoint, CancellationToken cancellationToken) =>
        endpoint.PostConsentAsync(context, cancellationToken);

    public void Dispose() => _loginLimiter.Dispose();

    private async Task<IResult> AuthorizeAsync(HttpContext context, List<KeyValuePair<string, StringValues>> parameters, CancellationToken cancellationToken)
    {
        var (request, error) = await ValidateAsync(context, parameters, cancellationToken);
        if (request is null)
        {
            return error!;
        }

        var session = await sessions.GetAsync(context, cancellationToken);
        var now = time.GetUtcNow();
        var tooOld = session is not null && request.MaxAge is { } maxAge && now - session.AuthTime > TimeSpan.FromSeconds(maxAge);
        var otherUser = session is not null && request.HintSubject is not null && request.HintSubject != session.Subject;
        var wantsMfa = session is not null && request.RequiresMfa && session.Acr != IdentityConstants.AcrMultiFactor;
        if (request.Prompt.Contains("none"))
        {
            if (session is null || tooOld || otherUser || wantsMfa)
            {
                return RedirectError(context, request, "login_required", "The end user must log in.");
            }

            // OIDC Core §3.1.2.6: no page may be shown, and the citizen has not approved these scopes for this client.
            return await NeedsConsentAsync(request, session.Subject, cancellationToken)
                ? RedirectError(context, request, "consent_required", "The end user must approve the requested scopes for this client.")
                : await CompleteAsync(context, request, session, cancellationToken);
        }

        if (session is null || tooOld || otherUser || wantsMfa || request.Prompt.Contains("login"))
        {
            return LoginPage(context, request.RawQuery, null);
        }

        return await NeedsConsentAsync(request, session.Subject, cancellationToken)
            ? ConsentPage(context, request, session.Subject)
            : await CompleteAsync(context, request, session, cancellationToken);
    }

    /// <summary>
    /// Whether the citizen must approve the request on the consent screen first: a client that is not first-party asks for
    /// citizen API scopes the citizen has not approved for it, or asks for any of them with <c>prompt=consent</c>.
    /// </summary>
    private async Task<bool> NeedsConsentAsync(AuthorizeRequest request, string subject, CancellationToken cancellationToken) =>
        !request.Client.IsFirstParty && request.Scopes.Any(IdentityConstants.ConsentScopes.Contains)
        && (request.Prompt.Contains("consent") || !await consents.IsApprovedAsync(subject, request.Client, request.Scopes, cancellationToken));

    private async Task<IResult> PostLoginAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (form, request, rawQuery, error) = await ReadSignInPostAsync(context, cancellationToken);
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
            await sessions.StartAsync(context, citizen.Subject, IdentityConstants.AcrPassword, PasswordAmr, null, cancellationToken);
            LogLoginSucceeded(logger, citizen.Subject);
            return RedirectError(context, request, "unmet_authentication_requirements",
                "The client requires a second factor and the end user has not enrolled one.");
        }

        return await SignInAsync(context, request, citizen.Subject, IdentityConstants.AcrPassword, PasswordAmr, cancellationToken);
    }

    /// <summary>
    /// Completes a sign-in: a new session and, unless the consent screen comes first, the authorization code for the waiting client, stored together, then the
    /// redirect with the code.
    /// </summary>
    private async Task<IResult> SignInAsync(HttpContext context, AuthorizeRequest request, string subject, string acr, string[] amr, CancellationToken cancellationToken)
    {
        if (await NeedsConsentAsync(request, subject, cancellationToken))
        {
            // Signed in; the code waits for the citizen's answer on the consent screen.
            await sessions.StartAsync(context, subject, acr, amr, null, cancellationToken);
            LogLoginSucceeded(logger, subject);
            return ConsentPage(context, request, subject);
        }

        var code = SecretHasher.NewSecret();
        await sessions.StartAsync(context, subject, acr, amr, session => NewCode(request, session, code), cancellationToken);
        LogLoginSucceeded(logger, subject);
        return CodeRedirect(context, request, code);
    }

    /// <summary>
    /// A posted sign-in step (password or second factor): a form, its antiforgery token valid, and the authorization
    /// request it carries (<c>request</c>, the original query) validated again as at <c>/connect/authorize</c>.
    /// </summary>
    private async Task<(IFormCollection? Form, AuthorizeRequest? Request, string RawQuery, IResult? Error)> ReadSignInPostAsync(
        HttpContext context, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return (null, null, string.Empty, Pages.Error(context, "请求无效。", "Invalid request."));
        }

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
        var (request, error) = await ValidateAsync(context, QueryHelpers.ParseQuery(rawQuery).ToList(), cancellationToken);
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

    private async Task<IResult> PostSecondFactorAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (form, request, rawQuery, error) = await ReadSignInPostAsync(context, cancellationToken);
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
    private async Task<IResult> PostConsentAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (form, request, rawQuery, error) = await ReadSignInPostAsync(context, cancellationToken);
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
                return await CompleteAsync(context, request, session, cancellationToken);
            case "deny":
                return RedirectError(context, request, "access_denied", "The end user refused the authorization.");
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

    /// <summary>Answers an authorization request from an existing session (SSO): a code, stored with the client's place in the session.</summary>
    private async Task<IResult> CompleteAsync(HttpContext context, AuthorizeRequest request, SessionRow session, CancellationToken cancellationToken)
    {
        var code = SecretHasher.NewSecret();
        await store.AddCodeAsync(NewCode(request, session, code), session, cancellationToken);
        return CodeRedirect(context, request, code);
    }

    private GrantRow NewCode(AuthorizeRequest request, SessionRow session, string code)
    {
        var now = time.GetUtcNow();
        return new GrantRow(
            SecretHasher.HandleHash(code), "code", SecretHasher.NewSecret(16), request.Client.ClientId, session.Subject, session.SessionId,
            new GrantData(string.Join(' ', request.Scopes), request.RedirectUri, request.Nonce, request.CodeChallenge, session.AuthTime, session.Acr, session.Amr),
            now, now + options.Value.AuthorizationCodeLifetime, null);
    }

    private IResult CodeRedirect(HttpContext context, AuthorizeRequest request, string code) =>
        Redirect(context, request.RedirectUri, new Dictionary<string, string?> { ["code"] = code, ["state"] = request.State, ["iss"] = issuers.GetIssuer(context) });

    private async Task<(AuthorizeRequest? Request, IResult? Error)> ValidateAsync(
        HttpContext context, List<KeyValuePair<string, StringValues>> parameters, CancellationToken cancellationToken)
    {
        string? Get(string name) => parameters.FirstOrDefault(p => p.Key == name).Value.FirstOrDefault();

        var clientId = Get("client_id");
        var client = clientId is null ? null : await clients.FindAsync(clientId, cancellationToken);
        if (client is null)
        {
            return (null, Pages.Error(context, "未知的应用（client_id）。", "Unknown application (client_id)."));
        }

        var redirectUri = Get("redirect_uri");
        if (redirectUri is null || !client.RedirectUris.Contains(redirectUri, StringComparer.Ordinal))
        {
            return (null, Pages.Error(context, "回调地址（redirect_uri）与登记的不一致。", "The redirect_uri does not match a registered one."));
        }

        var state = Get("state");
        IResult Fail(string error, string description) =>
            RedirectError(context, new AuthorizeRequest(client, redirectUri, [], state, null, string.Empty, [], null, null, [], string.Empty), error, description);

        if (parameters.GroupBy(p => p.Key, StringComparer.Ordinal).Any(g => g.Count() > 1 || g.First().Value.Count > 1))
        {
            return (null, Fail("invalid_request", "A parameter was sent more than once."));
        }

        if (Get("request") is not null || Get("request_uri") is not null)
        {
            return (null, Fail(Get("request") is not null ? "request_not_supported" : "request_uri_not_supported", "Request objects are not supported."));
        }

        if (Get("response_type") != "code")
        {
            return (null, Fail("unsupported_response_type", "Only response_type=code is supported."));
        }

        if (Get("response_mode") is { } mode && mode != "query")
        {
            return (null, Fail("invalid_request", "Only response_mode=query is supported."));
        }

        var scopes = (Get("scope") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
        if (scopes.Length == 0 || scopes.Any(s => !client.Scopes.Contains(s)))
        {
            return (null, Fail("invalid_scope", "The scope is missing or not allowed for this client."));
        }

        var challenge = Get("code_challenge");
        if (challenge is null)
        {
            return (null, Fail("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256."));
        }

        if (Get("code_challenge_method") != "S256")
        {
            return (null, Fail("invalid_request", "Only code_challenge_method=S256 is supported."));
        }

        if (challenge.Length != 43 || !challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return (null, Fail("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)."));
        }

        var prompt = (Get("prompt") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (prompt.Any(p => p is not ("none" or "login" or "consent")) || (prompt.Contains("none") && prompt.Length > 1))
        {
            return (null, Fail("invalid_request", "prompt must be none, login or consent; none cannot be combined."));
        }

        int? maxAge = null;
        if (Get("max_age") is { } maxAgeText)
        {
            if (!int.TryParse(maxAgeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                return (null, Fail("invalid_request", "max_age must be a non-negative integer."));
            }

            maxAge = parsed;
        }

        string? hintSubject = null;
        if (Get("id_token_hint") is { } hint)
        {
            // Only an ID token issued to this client: an access token or a back-channel logout token is signed by the same
            // key, names a citizen too, and must not stand in for it.
            if (await tokens.ValidateIdentityTokenAsync(hint, issuers.GetIssuer(context), client.ClientId, cancellationToken) is not { } idToken)
            {
                return (null, Fail("invalid_request", "id_token_hint is not an ID token this provider issued to this client."));
            }

            hintSubject = idToken.Subject;
        }

        var nonce = Get("nonce");
        if (nonce is { Length: > 512 } || state is { Length: > 2048 })
        {
            return (null, Fail("invalid_request", "nonce or state is too long."));
        }

        var acrValues = (Get("acr_values") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var raw = QueryString.Create(parameters).ToString();
        return (new AuthorizeRequest(client, redirectUri, scopes, state, nonce, challenge, prompt, maxAge, hintSubject, acrValues, raw), null);
    }

    private IResult RedirectError(HttpContext context, AuthorizeRequest request, string error, string description)
    {
        LogAuthorizeError(logger, request.Client.ClientId, error);
        return Redirect(context, request.RedirectUri, new Dictionary<string, string?>
        {
            ["error"] = error,
            ["error_description"] = description,
            ["state"] = request.State,
            ["iss"] = issuers.GetIssuer(context),
        });
    }

    private static IResult Redirect(HttpContext context, string redirectUri, Dictionary<string, string?> parameters)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        var present = parameters.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
        return Results.Redirect(QueryHelpers.AddQueryString(redirectUri, present));
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
