using System.Net;
using System.Text.RegularExpressions;

namespace CertLibrary.Identity.Tests;

/// <summary>Browser steps around the TOTP second factor: enrolment page, the code step of the login.</summary>
public static partial class TotpFlow
{
    /// <summary>Signs in with the password only (a pwd session), opens the enrolment page and returns it with the shown secret.</summary>
    public static async Task<(string Html, byte[] Secret)> OpenEnrolmentAsync(OidcFlow flow)
    {
        using var login = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        using var page = await flow.Browser.GetAsync("/account/totp");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        return (html, SecretShownIn(html));
    }

    /// <summary>The base32 key the enrolment page shows (grouped by fours), decoded.</summary>
    public static byte[] SecretShownIn(string html)
    {
        var shown = SecretRegex().Match(html);
        Assert.True(shown.Success, html);
        return FromBase32(shown.Groups[1].Value.Replace(" ", string.Empty, StringComparison.Ordinal));
    }

    /// <summary>Posts a code to an account page; <c>/enable</c> also needs the password (the flow's own unless given).</summary>
    public static async Task<HttpResponseMessage> PostCodeAsync(OidcFlow flow, string html, string path, string code, string? password = null) =>
        await flow.Browser.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = OidcFlow.Field(html, "__RequestVerificationToken"),
            ["code"] = code,
            ["password"] = password ?? OidcFlow.Password,
        }));

    /// <summary>Enrols the flow's citizen (signed in with the password) and returns the secret; the factor is on afterwards.</summary>
    public static async Task<byte[]> EnrolAsync(OidcFlow flow, TestTimeProvider time)
    {
        var (html, secret) = await OpenEnrolmentAsync(flow);
        using var done = await PostCodeAsync(flow, html, "/account/totp/enable", CodeAt(secret, time.GetUtcNow()));
        Assert.Contains("id=\"done\"", await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((await flow.Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);
        return secret;
    }

    /// <summary>Enrols like <see cref="EnrolAsync"/> and returns the recovery codes the confirmation page shows once.</summary>
    public static async Task<(byte[] Secret, IReadOnlyList<string> RecoveryCodes)> EnrolWithRecoveryCodesAsync(OidcFlow flow, TestTimeProvider time)
    {
        var (html, secret) = await OpenEnrolmentAsync(flow);
        using var done = await PostCodeAsync(flow, html, "/account/totp/enable", CodeAt(secret, time.GetUtcNow()));
        var page = await done.Content.ReadAsStringAsync();
        Assert.Contains("id=\"done\"", page, StringComparison.Ordinal);
        return (secret, RecoveryCodesShownIn(page));
    }

    /// <summary>The recovery codes listed on a page.</summary>
    public static IReadOnlyList<string> RecoveryCodesShownIn(string html) =>
        [.. RecoveryCodeRegex().Matches(html).Select(m => m.Groups[1].Value)];

    public static async Task<HttpResponseMessage> SubmitRecoveryCodeAsync(OidcFlow flow, string html, string recoveryCode) =>
        await flow.Browser.PostAsync("/connect/authorize/otp", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = OidcFlow.Field(html, "__RequestVerificationToken"),
            ["request"] = OidcFlow.Field(html, "request"),
            ["ticket"] = OidcFlow.Field(html, "ticket"),
            ["recovery_code"] = recoveryCode,
        }));

    /// <summary>The code an authenticator shows at <paramref name="at"/>.</summary>
    public static string CodeAt(byte[] secret, DateTimeOffset at) => Totp.Code(secret, Totp.Step(at));

    /// <summary>New browser, authorize, password: returns the second-factor page (asserted to be one).</summary>
    public static async Task<string> PasswordStepAsync(OidcFlow flow, string? url = null)
    {
        flow.NewBrowserSession();
        using var response = await flow.LoginAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("name=\"ticket\"", html, StringComparison.Ordinal);
        return html;
    }

    public static async Task<HttpResponseMessage> SubmitCodeAsync(OidcFlow flow, string html, string code, string? request = null) =>
        await flow.Browser.PostAsync("/connect/authorize/otp", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = OidcFlow.Field(html, "__RequestVerificationToken"),
            ["request"] = request ?? OidcFlow.Field(html, "request"),
            ["ticket"] = OidcFlow.Field(html, "ticket"),
            ["code"] = code,
        }));

    public static byte[] FromBase32(string text)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var output = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            buffer = (buffer << 5) | Alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. output];
    }

    [GeneratedRegex("<li><code>([^<]+)</code></li>")]
    private static partial Regex RecoveryCodeRegex();

    [GeneratedRegex("<code id=\"secret\"[^>]*>([A-Z2-7 ]+)</code>")]
    private static partial Regex SecretRegex();
}
