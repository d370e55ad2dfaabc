using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CertLibrary.Identity.Tests;

/// <summary>One provider with a clock the tests move (TOTP steps) and every log message captured.</summary>
public sealed class TotpFixture : IDisposable
{
    public TotpFixture()
    {
        // Close to the real time: Data Protection checks ticket expiry against the real clock.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Time = new TestTimeProvider(DateTimeOffset.FromUnixTimeSeconds((now / 30 * 30) + 5));
        // Every test signs in from the same address: the per-address limit is not what these tests are about.
        Factory = new IdentityApiFactory { Time = Time, Logs = Logs, Settings = { ["Identity:LoginAttemptsPerIpPerMinute"] = "100000" } };
    }

    public TestTimeProvider Time { get; }

    public LogCapture Logs { get; } = new();

    public IdentityApiFactory Factory { get; }

    public void Dispose() => Factory.Dispose();
}

public sealed class TotpTests(TotpFixture fixture) : IClassFixture<TotpFixture>
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    private IdentityApiFactory Factory => fixture.Factory;

    private TestTimeProvider Time => fixture.Time;

    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void Code_Rfc6238AppendixBSha1_MatchesVector(long unixTime, string expected) =>
        Assert.Equal(expected, Totp.Code("12345678901234567890"u8, Totp.Step(DateTimeOffset.FromUnixTimeSeconds(unixTime)), digits: 8));

    [Theory]
    [InlineData("", "")]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Base32_Rfc4648Vectors_WithoutPadding(string input, string expected) =>
        Assert.Equal(expected, Totp.Base32(System.Text.Encoding.ASCII.GetBytes(input)));

    [Fact]
    public async Task EnrolmentPage_QrAndSecret_LabelWithoutIdentityNumber_NotFramedChinese()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);

        var (html, secret) = await TotpFlow.OpenEnrolmentAsync(flow);

        Assert.Contains("<img id=\"qr\" src=\"data:image/png;base64,", html, StringComparison.Ordinal);
        Assert.Contains("lang=\"zh-CN\"", html, StringComparison.Ordinal);
        Assert.Contains("开启两步验证", html, StringComparison.Ordinal);
        var uri = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "href=\"(otpauth://[^\"]+)\"").Groups[1].Value);
        Assert.StartsWith("otpauth://totp/CertLibrary:" + Uri.EscapeDataString("张三") + "?secret=" + Totp.Base32(secret), uri, StringComparison.Ordinal);
        Assert.Contains("&issuer=CertLibrary", uri, StringComparison.Ordinal);
        Assert.DoesNotContain(flow.CitizenId.ToString(), html, StringComparison.Ordinal);
        Assert.Equal(20, secret.Length);
        using var again = await flow.Browser.GetAsync("/account/totp");
        Assert.Equal("DENY", again.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-store", again.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task EnrolmentPage_EnglishAcceptLanguage_English()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        using var login = await flow.LoginAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/totp");
        request.Headers.AcceptLanguage.ParseAdd("en-GB,en;q=0.9");

        using var page = await flow.Browser.SendAsync(request);

        Assert.Contains("Set up two-step verification", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrolmentPage_NotSignedIn_401WithoutSecret()
    {
        using var browser = OidcFlow.NewBrowser(Factory);

        using var page = await browser.GetAsync("/account/totp");

        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.DoesNotContain("otpauth", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enrolment_CurrentCode_TurnsOnAndNextLoginNeedsTheCode()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(Step);

        var html = await TotpFlow.PasswordStepAsync(flow);
        using var response = await TotpFlow.SubmitCodeAsync(flow, html, TotpFlow.CodeAt(secret, Time.GetUtcNow()));

        Assert.Contains("动态验证码", html, StringComparison.Ordinal);
        Assert.True(OidcFlow.Query(response).ContainsKey("code"));
    }

    [Fact]
    public async Task Enrolment_WrongCode_StaysOff()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (html, secret) = await TotpFlow.OpenEnrolmentAsync(flow);

        using var response = await TotpFlow.PostCodeAsync(flow, html, "/account/totp/enable", WrongCode(secret));

        Assert.Contains("id=\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);
        flow.NewBrowserSession();
        using var login = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }

    [Fact]
    public async Task Enrolment_WrongPassword_StaysOff_AndCountsTowardLockout()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (html, secret) = await TotpFlow.OpenEnrolmentAsync(flow);

        // A live session and a right code are not enough: the password is asked again.
        using var response = await TotpFlow.PostCodeAsync(flow, html, "/account/totp/enable", TotpFlow.CodeAt(secret, Time.GetUtcNow()), "not the password");

        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"error\"", page, StringComparison.Ordinal);
        Assert.False((await Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);

        // Four more wrong passwords on this page reach the threshold (5): the account is locked for sign-in too.
        for (var i = 0; i < 4; i++)
        {
            using var wrong = await TotpFlow.PostCodeAsync(flow, page, "/account/totp/enable", TotpFlow.CodeAt(secret, Time.GetUtcNow()), "not the password");
            page = await wrong.Content.ReadAsStringAsync();
        }

        Assert.False((await Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);
        flow.NewBrowserSession();
        using var login = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, login.StatusCode);
    }

    [Fact]
    public async Task Enrolment_WithoutAntiforgeryToken_Rejected()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (_, secret) = await TotpFlow.OpenEnrolmentAsync(flow);

        using var response = await flow.Browser.PostAsync("/account/totp/enable",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = TotpFlow.CodeAt(secret, Time.GetUtcNow()) }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False((await Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);
    }

    [Fact]
    public async Task Login_CodeAlreadyUsed_RefusedThenNextCodeAccepted()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        var html = await TotpFlow.PasswordStepAsync(flow);

        // The enrolment used this step's code: within the same 30 s it is a replay.
        using var replay = await TotpFlow.SubmitCodeAsync(flow, html, TotpFlow.CodeAt(secret, Time.GetUtcNow()));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Contains("id=\"error\"", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Time.Advance(Step);
        var code = TotpFlow.CodeAt(secret, Time.GetUtcNow());
        using var accepted = await TotpFlow.SubmitCodeAsync(flow, html, code);
        Assert.True(OidcFlow.Query(accepted).ContainsKey("code"));

        // And that code cannot sign in a second time either.
        var second = await TotpFlow.PasswordStepAsync(flow);
        using var again = await TotpFlow.SubmitCodeAsync(flow, second, code);
        Assert.Null(again.Headers.Location);
    }

    [Fact]
    public async Task Login_CodeThreeStepsAway_RefusedButOneStepAwayAccepted()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(4 * Step);
        var now = Time.GetUtcNow();
        var html = await TotpFlow.PasswordStepAsync(flow);

        using var past = await TotpFlow.SubmitCodeAsync(flow, html, TotpFlow.CodeAt(secret, now - (3 * Step)));
        using var future = await TotpFlow.SubmitCodeAsync(flow, html, TotpFlow.CodeAt(secret, now + (3 * Step)));
        using var previous = await TotpFlow.SubmitCodeAsync(flow, html, TotpFlow.CodeAt(secret, now - Step));

        Assert.Null(past.Headers.Location);
        Assert.Null(future.Headers.Location);
        Assert.True(OidcFlow.Query(previous).ContainsKey("code"));
    }

    [Fact]
    public async Task Tokens_PasswordOnly_AcrPwdAndAmrPwdInIdAndAccessToken()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);

        var tokens = await flow.TokensAsync();

        foreach (var token in Jwts(tokens))
        {
            Assert.Equal(IdentityConstants.AcrPassword, token.GetClaim("acr").Value);
            Assert.Equal(["pwd"], Amr(token));
        }
    }

    [Fact]
    public async Task Tokens_PasswordAndCode_AcrMfaAndAmrPwdOtpMfaInIdAndAccessToken()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(Step);
        var html = await TotpFlow.PasswordStepAsync(flow);
        using var redirect = await TotpFlow.SubmitCodeAsync(flow, html, TotpFlow.CodeAt(secret, Time.GetUtcNow()));

        using var response = await flow.RedeemAsync(OidcFlow.Query(redirect)["code"]);

        var tokens = await IdentityApiFactory.JsonAsync(response);
        foreach (var token in Jwts(tokens))
        {
            Assert.Equal(IdentityConstants.AcrMultiFactor, token.GetClaim("acr").Value);
            Assert.Equal(["pwd", "otp", "mfa"], Amr(token));
        }
    }

    [Fact]
    public async Task AcrValuesMfa_PasswordSession_PromptNoneLoginRequiredElsePasswordAndCode()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time); // the browser keeps its password-only session
        Time.Advance(Step);
        var mfa = new Dictionary<string, string?> { ["acr_values"] = IdentityConstants.AcrMultiFactor };

        using var silent = await flow.Browser.GetAsync(flow.AuthorizeUrl(new(mfa) { ["prompt"] = "none" }));
        Assert.Equal("login_required", OidcFlow.Query(silent)["error"]);

        using var page = await flow.Browser.GetAsync(flow.AuthorizeUrl(mfa));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var password = await flow.SubmitLoginAsync(await page.Content.ReadAsStringAsync());
        var codePage = await password.Content.ReadAsStringAsync();
        Assert.Contains("name=\"ticket\"", codePage, StringComparison.Ordinal);
        using var done = await TotpFlow.SubmitCodeAsync(flow, codePage, TotpFlow.CodeAt(secret, Time.GetUtcNow()));
        using var tokenResponse = await flow.RedeemAsync(OidcFlow.Query(done)["code"]);
        var idToken = new JsonWebToken((await IdentityApiFactory.JsonAsync(tokenResponse)).GetProperty("id_token").GetString());
        Assert.Equal(IdentityConstants.AcrMultiFactor, idToken.GetClaim("acr").Value);

        // The session is now a two-factor one: the next mfa request is answered without any prompt.
        using var sso = await flow.Browser.GetAsync(flow.AuthorizeUrl(new(mfa) { ["prompt"] = "none" }));
        Assert.True(OidcFlow.Query(sso).ContainsKey("code"));
    }

    [Fact]
    public async Task AcrValuesMfa_CitizenWithoutTotp_UnmetAuthenticationRequirements()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);

        using var response = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["acr_values"] = IdentityConstants.AcrMultiFactor }));

        var query = OidcFlow.Query(response);
        Assert.Equal("unmet_authentication_requirements", query["error"]);
        Assert.Equal("state-123", query["state"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task AcrValuesPwd_EnrolledCitizen_StillAsksForTheCode()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        await TotpFlow.EnrolAsync(flow, Time);

        var html = await TotpFlow.PasswordStepAsync(flow, flow.AuthorizeUrl(new() { ["acr_values"] = IdentityConstants.AcrPassword }));

        Assert.Contains("id=\"code\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lockout_CodeFailuresCount_AndTheRightPasswordDoesNotResetThem()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(Step);

        // 2 + 2 wrong codes, each pair after a right password, then a fifth: the threshold (5) is reached.
        for (var round = 0; round < 2; round++)
        {
            var html = await TotpFlow.PasswordStepAsync(flow);
            for (var i = 0; i < 2; i++)
            {
                using var wrong = await TotpFlow.SubmitCodeAsync(flow, html, WrongCode(secret));
                Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            }
        }

        var last = await TotpFlow.PasswordStepAsync(flow);
        using var locking = await TotpFlow.SubmitCodeAsync(flow, last, WrongCode(secret));
        Assert.Equal(HttpStatusCode.TooManyRequests, locking.StatusCode);

        // Locked: the right password and the right code do not sign in either.
        flow.NewBrowserSession();
        using var password = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, password.StatusCode);
        using var code = await TotpFlow.SubmitCodeAsync(flow, last, TotpFlow.CodeAt(secret, Time.GetUtcNow()));
        Assert.Null(code.Headers.Location);
    }

    [Fact]
    public async Task SecondStep_TicketOfAnotherAuthorizationRequest_Refused()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(Step);
        var html = await TotpFlow.PasswordStepAsync(flow);
        var other = flow.AuthorizeUrl(new() { ["state"] = "attacker-state" })["/connect/authorize".Length..];

        using var response = await TotpFlow.SubmitCodeAsync(flow, html, TotpFlow.CodeAt(secret, Time.GetUtcNow()), request: other);

        Assert.Null(response.Headers.Location);
        Assert.Contains("id=\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondStep_ForgedTicket_Refused()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(Step);
        var html = await TotpFlow.PasswordStepAsync(flow);
        var forged = html.Replace(OidcFlow.Field(html, "ticket"), flow.Subject + "\n" + "x", StringComparison.Ordinal);

        using var response = await TotpFlow.SubmitCodeAsync(flow, forged, TotpFlow.CodeAt(secret, Time.GetUtcNow()));

        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Disable_CurrentCode_TurnsOff_WrongCodeKeepsItOn()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(Step);
        using var page = await flow.Browser.GetAsync("/account/totp");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("id=\"disable\"", html, StringComparison.Ordinal);

        using var wrong = await TotpFlow.PostCodeAsync(flow, html, "/account/totp/disable", WrongCode(secret));
        Assert.True((await Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);

        using var right = await TotpFlow.PostCodeAsync(flow, html, "/account/totp/disable", TotpFlow.CodeAt(secret, Time.GetUtcNow()));
        Assert.Contains("id=\"done\"", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);
        flow.NewBrowserSession();
        using var login = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }

    [Fact]
    public async Task Logs_HoldNoIdentityNumberSecretOrCode()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Time.Advance(Step);
        var html = await TotpFlow.PasswordStepAsync(flow);
        using var wrong = await TotpFlow.SubmitCodeAsync(flow, html, WrongCode(secret));
        var code = TotpFlow.CodeAt(secret, Time.GetUtcNow());
        using var right = await TotpFlow.SubmitCodeAsync(flow, html, code);
        Assert.True(OidcFlow.Query(right).ContainsKey("code"));

        var logs = fixture.Logs.All;
        Assert.Contains("TOTP second factor enabled for citizen " + flow.Subject, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(flow.CitizenId.ToString(), logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Totp.Base32(secret), logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(secret), logs, StringComparison.Ordinal);
        Assert.DoesNotContain(code, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(OidcFlow.Password, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_StoredSealed_NotInTheDatabaseFile()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var secret = await TotpFlow.EnrolAsync(flow, Time);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var bytes = await ReadDatabaseAsync();

        Assert.Equal(-1, bytes.AsSpan().IndexOf(secret));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(Totp.Base32(secret))));
    }

    [Fact]
    public async Task Discovery_AdvertisesPasswordAndMfaAcrValues()
    {
        using var http = Factory.CreateClient();

        var discovery = await IdentityApiFactory.JsonAsync(await http.GetAsync("/.well-known/openid-configuration"));

        Assert.Equal([IdentityConstants.AcrPassword, IdentityConstants.AcrMultiFactor],
            discovery.GetProperty("acr_values_supported").EnumerateArray().Select(e => e.GetString()));
    }

    private async Task<byte[]> ReadDatabaseAsync()
    {
        var all = new List<byte>();
        foreach (var path in new[] { Factory.DatabasePath, Factory.DatabasePath + "-wal" }.Where(File.Exists))
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory);
            all.AddRange(memory.ToArray());
        }

        return [.. all];
    }

    private string WrongCode(byte[] secret)
    {
        var now = Time.GetUtcNow();
        var valid = new[] { now - Step, now, now + Step }.Select(t => TotpFlow.CodeAt(secret, t)).ToHashSet();
        for (var candidate = 0; ; candidate++)
        {
            var code = candidate.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            if (!valid.Contains(code))
            {
                return code;
            }
        }
    }

    private static IEnumerable<JsonWebToken> Jwts(JsonElement tokens) =>
        [new JsonWebToken(tokens.GetProperty("id_token").GetString()), new JsonWebToken(tokens.GetProperty("access_token").GetString())];

    private static string[] Amr(JsonWebToken token) =>
        token.TryGetPayloadValue<string[]>("amr", out var amr) ? amr : [];
}
