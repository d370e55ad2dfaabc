using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using QRCoder;

namespace CertLibrary.Identity;

/// <summary>
/// <c>/account/totp</c>: a signed-in citizen (SSO cookie) enrols an authenticator app — QR code of the
/// <c>otpauth://</c> key URI plus the base32 secret, switched on only after a current code and the password were entered — or switches
/// it off with a current code; confirming the enrolment shows 10 one-time recovery codes once, and
/// <c>/account/totp/recovery-codes</c> replaces them (password again). Same page rules as the login page: Chinese by default, never framed, never cached,
/// antiforgery on every form.
/// </summary>
internal static class TotpAccountEndpoints
{
    public const string Path = "/account/totp";

    /// <summary>Page to see how many recovery codes are left and to replace them.</summary>
    public const string RecoveryCodesPath = Path + "/recovery-codes";

    public static async Task<IResult> ShowAsync(HttpContext context, SessionCookie sessions, TotpManager totp, CitizenManager citizens,
        IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (await sessions.GetAsync(context, cancellationToken) is not { } session)
        {
            return NotSignedIn(context);
        }

        var citizen = await citizens.FindBySubjectAsync(session.Subject, cancellationToken);
        if (citizen is null)
        {
            return NotSignedIn(context);
        }

        return citizen.TotpEnabled
            ? DisablePage(context, antiforgery, null)
            : await EnrolPageAsync(context, session.Subject, totp, antiforgery, null, cancellationToken);
    }

    public static async Task<IResult> EnableAsync(HttpContext context, SessionCookie sessions, TotpManager totp, CitizenManager citizens,
        IOptions<IdentityOptions> options, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        // The password again: a session alone (a cookie left on a shared counter PC, or stolen) must not be enough to
        // bind an attacker's authenticator to the account. Wrong passwords here count toward the lockout like at login.
        var (session, form, password, error) = await ReadPostWithPasswordAsync(context, sessions, citizens, options.Value, antiforgery, cancellationToken);
        if (session is null)
        {
            return error!;
        }

        if (password != LoginOutcome.Success)
        {
            return await EnrolPageAsync(context, session.Subject, totp, antiforgery, password == LoginOutcome.LockedOut
                ? Pages.T(context, "失败次数过多，账户已暂时锁定，请稍后再试。", "Too many failed attempts; the account is locked for a while.")
                : Pages.T(context, "密码不正确。", "Wrong password."), cancellationToken);
        }

        var (outcome, recoveryCodes) = await totp.ConfirmEnrolmentAsync(session.Subject, form!["code"].ToString(), cancellationToken);
        return outcome switch
        {
            TotpOutcome.Success => CodesPage(context, Pages.T(context, "两步验证已开启。今后登录时，输入密码后还需输入验证器中的动态验证码。",
                "Two-step verification is on. From now on, signing in asks for your authenticator's code after the password."), recoveryCodes!),
            TotpOutcome.AlreadyEnrolled => DisablePage(context, antiforgery, null),
            TotpOutcome.Invalid => await EnrolPageAsync(context, session.Subject, totp, antiforgery,
                Pages.T(context, "验证码不正确，请输入验证器中当前显示的验证码。", "Wrong code; enter the code your authenticator shows now."), cancellationToken),
            _ => await EnrolPageAsync(context, session.Subject, totp, antiforgery,
                Pages.T(context, "二维码已过期，请重新扫描下面的新二维码。", "The QR code expired; scan the new one below."), cancellationToken),
        };
    }

    /// <summary><c>GET /account/totp/recovery-codes</c>: how many codes are left, and the form to replace them (password again).</summary>
    public static async Task<IResult> ShowRecoveryCodesAsync(HttpContext context, SessionCookie sessions, TotpManager totp, CitizenManager citizens,
        IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (await sessions.GetAsync(context, cancellationToken) is not { } session || await citizens.FindBySubjectAsync(session.Subject, cancellationToken) is not { } citizen)
        {
            return NotSignedIn(context);
        }

        return citizen.TotpEnabled
            ? RecoveryPage(context, antiforgery, await totp.RecoveryCodesLeftAsync(session.Subject, cancellationToken), null)
            : Done(context, Pages.T(context, "两步验证未开启。", "Two-step verification is not on."));
    }

    /// <summary>
    /// <c>POST /account/totp/recovery-codes</c>: with the password again (like enrolment: a session alone must not be enough
    /// to obtain codes that replace the authenticator), issues a fresh set; the old codes stop working. Wrong passwords count
    /// toward the lockout.
    /// </summary>
    public static async Task<IResult> RegenerateRecoveryCodesAsync(HttpContext context, SessionCookie sessions, TotpManager totp, CitizenManager citizens,
        IOptions<IdentityOptions> options, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var (session, _, password, error) = await ReadPostWithPasswordAsync(context, sessions, citizens, options.Value, antiforgery, cancellationToken);
        if (session is null)
        {
            return error!;
        }

        if (password != LoginOutcome.Success)
        {
            return password == LoginOutcome.LockedOut
                ? Pages.Error(context, "失败次数过多，账户已暂时锁定，请 15 分钟后再试。", "Too many failures: the account is locked for 15 minutes.",
                    StatusCodes.Status429TooManyRequests)
                : RecoveryPage(context, antiforgery, await totp.RecoveryCodesLeftAsync(session.Subject, cancellationToken),
                    Pages.T(context, "密码不正确。", "Wrong password."));
        }

        var (outcome, codes) = await totp.RegenerateRecoveryCodesAsync(session.Subject, cancellationToken);
        return outcome == TotpOutcome.Success
            ? CodesPage(context, Pages.T(context, "已生成新的恢复码，原有恢复码已全部失效。", "New recovery codes were issued; the previous ones no longer work."), codes!)
            : Done(context, Pages.T(context, "两步验证未开启。", "Two-step verification is not on."));
    }

    public static async Task<IResult> DisableAsync(HttpContext context, SessionCookie sessions, TotpManager totp, IAntiforgery antiforgery,
        CancellationToken cancellationToken)
    {
        var (session, form, error) = await ReadPostAsync(context, sessions, antiforgery, cancellationToken);
        if (session is null)
        {
            return error!;
        }

        return await totp.DisableAsync(session.Subject, form!["code"].ToString(), cancellationToken) switch
        {
            TotpOutcome.Success => Done(context, Pages.T(context, "两步验证已关闭。", "Two-step verification is off.")),
            TotpOutcome.NotEnrolled => Done(context, Pages.T(context, "两步验证未开启。", "Two-step verification is not on.")),
            TotpOutcome.LockedOut => Pages.Error(context, "失败次数过多，账户已暂时锁定，请 15 分钟后再试。",
                "Too many failures: the account is locked for 15 minutes.", StatusCodes.Status429TooManyRequests),
            _ => DisablePage(context, antiforgery, Pages.T(context, "验证码错误或已使用。", "Wrong or already used code.")),
        };
    }

    /// <summary><see cref="ReadPostAsync"/>, then the form's <c>password</c> checked with the lockout like at login.</summary>
    private static async Task<(SessionRow? Session, IFormCollection? Form, LoginOutcome Password, IResult? Error)> ReadPostWithPasswordAsync(
        HttpContext context, SessionCookie sessions, CitizenManager citizens, IdentityOptions options, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var (session, form, error) = await ReadPostAsync(context, sessions, antiforgery, cancellationToken);
        if (session is null)
        {
            return (null, null, LoginOutcome.Invalid, error);
        }

        if (await citizens.GetCitizenIdAsync(session.Subject, cancellationToken) is not { } citizenId)
        {
            return (null, null, LoginOutcome.Invalid, NotSignedIn(context));
        }

        var (password, _) = await citizens.CheckPasswordAsync(citizenId, form!["password"].ToString(), options, cancellationToken);
        return (session, form, password, null);
    }

    private static async Task<(SessionRow? Session, IFormCollection? Form, IResult? Error)> ReadPostAsync(
        HttpContext context, SessionCookie sessions, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return (null, null, Pages.Error(context, "请求无效。", "Invalid request."));
        }

        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return (null, null, Pages.Error(context, "页面已过期或请求来源无效，请刷新后重试。", "The page expired or the request did not come from it; reload and try again."));
        }

        if (await sessions.GetAsync(context, cancellationToken) is not { } session)
        {
            return (null, null, NotSignedIn(context));
        }

        return (session, await context.Request.ReadFormAsync(cancellationToken), null);
    }

    private static async Task<IResult> EnrolPageAsync(HttpContext context, string subject, TotpManager totp, IAntiforgery antiforgery, string? error,
        CancellationToken cancellationToken)
    {
        var (outcome, enrolment) = await totp.BeginEnrolmentAsync(subject, cancellationToken);
        if (outcome == TotpOutcome.AlreadyEnrolled)
        {
            return DisablePage(context, antiforgery, null);
        }

        if (enrolment is null)
        {
            return NotSignedIn(context);
        }

        string qr;
        using (var generator = new QRCodeGenerator())
        using (var data = generator.CreateQrCode(enrolment.KeyUri, QRCodeGenerator.ECCLevel.M))
        using (var png = new PngByteQRCode(data))
        {
            qr = "data:image/png;base64," + Convert.ToBase64String(png.GetGraphic(6));
        }

        var base32 = Totp.Base32(enrolment.Secret);
        var grouped = string.Join(' ', base32.Chunk(4).Select(c => new string(c)));
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = $"""
            {ErrorHtml(error)}
            <p>{Pages.T(context, "1. 用手机上的身份验证器应用（如 Google Authenticator、Microsoft Authenticator、FreeOTP）扫描二维码：",
                "1. Scan the QR code with an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, FreeOTP…):")}</p>
            <p><img id="qr" src="{qr}" alt="{Pages.T(context, "两步验证二维码", "Two-step verification QR code")}" style="width:100%;max-width:16rem;image-rendering:pixelated"></p>
            <p><a id="open-app" href="{Pages.Encode(enrolment.KeyUri)}">{Pages.T(context, "在本机的验证器应用中打开", "Open in an authenticator app on this device")}</a></p>
            <p>{Pages.T(context, "无法扫描时，手动输入密钥：", "Or type this key by hand:")}<br><code id="secret" style="font-size:1.1rem;word-break:break-all">{grouped}</code></p>
            <form method="post" action="{Pages.Encode(context.Request.PathBase + Path + "/enable")}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            <label for="code">{Pages.T(context, "2. 输入应用显示的 6 位验证码以确认", "2. Enter the 6-digit code the app shows to confirm")}</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required>
            <label for="current-password">{Pages.T(context, "3. 再次输入登录密码", "3. Enter your password again")}</label>
            <input id="current-password" name="password" type="password" autocomplete="current-password" maxlength="256" required>
            <button type="submit" id="enable">{Pages.T(context, "开启两步验证", "Turn on two-step verification")}</button>
            </form>
            """;
        return Pages.Html(context, Pages.T(context, "开启两步验证", "Set up two-step verification"), body);
    }

    private static IResult DisablePage(HttpContext context, IAntiforgery antiforgery, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = $"""
            {ErrorHtml(error)}
            <p id="status">{Pages.T(context, "两步验证已开启。", "Two-step verification is on.")}</p>
            <form method="post" action="{Pages.Encode(context.Request.PathBase + Path + "/disable")}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            <label for="code">{Pages.T(context, "输入当前验证码以关闭两步验证", "Enter a current code to turn it off")}</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required>
            <button type="submit" id="disable">{Pages.T(context, "关闭两步验证", "Turn off two-step verification")}</button>
            </form>
            <p><a id="recovery-link" href="{Pages.Encode(context.Request.PathBase + RecoveryCodesPath)}">{Pages.T(context, "查看或重新生成恢复码", "See or replace your recovery codes")}</a></p>
            """;
        return Pages.Html(context, Pages.T(context, "两步验证", "Two-step verification"), body);
    }

    private static IResult RecoveryPage(HttpContext context, IAntiforgery antiforgery, int left, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = $"""
            {ErrorHtml(error)}
            <p id="left">{Pages.Encode(Pages.T(context, $"您还有 {left} 个未使用的恢复码。", $"You have {left} unused recovery codes."))}</p>
            <p>{Pages.T(context, "生成新的恢复码后，原有恢复码将全部失效。", "New codes replace all previous ones.")}</p>
            <form method="post" action="{Pages.Encode(context.Request.PathBase + RecoveryCodesPath)}" autocomplete="off">
            {Pages.AntiforgeryField(tokens)}
            <label for="current-password">{Pages.T(context, "再次输入登录密码", "Enter your password again")}</label>
            <input id="current-password" name="password" type="password" autocomplete="current-password" maxlength="256" required>
            <button type="submit" id="regenerate">{Pages.T(context, "生成新的恢复码", "Issue new recovery codes")}</button>
            </form>
            """;
        return Pages.Html(context, Pages.T(context, "恢复码", "Recovery codes"), body);
    }

    /// <summary>The codes, shown this once (the page is never cached).</summary>
    private static IResult CodesPage(HttpContext context, string message, IReadOnlyList<string> codes)
    {
        var items = string.Concat(codes.Select(c => $"<li><code>{Pages.Encode(c)}</code></li>"));
        var body = $"""
            <p id="done">{Pages.Encode(message)}</p>
            <p>{Pages.T(context, "以下 10 个恢复码只显示这一次，请抄写或打印后妥善保存。手机丢失或无法使用验证器时，可在登录时用一个恢复码代替动态验证码；每个恢复码只能使用一次。",
                "These 10 recovery codes are shown only this once: write them down or print them and keep them safe. If you lose your phone, "
                + "sign in with one of them instead of the authenticator's code; each works once.")}</p>
            <ol id="recovery-codes" style="font-size:1.1rem;font-family:monospace">{items}</ol>
            <p><a href="{Pages.Encode(context.Request.PathBase + RecoveryCodesPath)}">{Pages.T(context, "管理恢复码", "Manage recovery codes")}</a></p>
            """;
        return Pages.Html(context, Pages.T(context, "两步验证", "Two-step verification"), body);
    }

    private static IResult Done(HttpContext context, string message) =>
        Pages.Html(context, Pages.T(context, "两步验证", "Two-step verification"), $"<p id=\"done\">{Pages.Encode(message)}</p>");

    private static IResult NotSignedIn(HttpContext context) =>
        Pages.Error(context, "请先通过任一政务门户登录，再设置两步验证。", "Sign in through any portal first, then set up two-step verification.",
            StatusCodes.Status401Unauthorized);

    private static string ErrorHtml(string? error) =>
        error is null ? string.Empty : $"<p class=\"error\" id=\"error\" role=\"alert\">{Pages.Encode(error)}</p>";
}
