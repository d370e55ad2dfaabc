using System.Net;
using System.Security.Cryptography;
using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CertLibrary.Identity.Tests;

/// <summary>One-time recovery codes of the TOTP second factor: issued at enrolment, used instead of a code, replaced with the password.</summary>
public sealed partial class RecoveryCodeTests(TotpFixture fixture) : IClassFixture<TotpFixture>
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    private IdentityApiFactory Factory => fixture.Factory;

    private TestTimeProvider Time => fixture.Time;

    [Fact]
    public async Task Enrolment_ShowsTenDistinctGroupedCodesOnce_StoredOnlyAsHashes()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);

        var (_, codes) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);

        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Matches(CodeFormat(), c)); // 12 Crockford base32 characters: 60 bits
        Assert.Equal(10, await Factory.Services.GetRequiredService<TotpManager>().RecoveryCodesLeftAsync(flow.Subject, CancellationToken.None));
        var database = await File.ReadAllBytesAsync(Factory.DatabasePath);
        var text = System.Text.Encoding.ASCII.GetString(database);
        Assert.All(codes, c => Assert.DoesNotContain(c.Replace("-", string.Empty, StringComparison.Ordinal), text, StringComparison.Ordinal));
        Assert.All(codes, c => Assert.DoesNotContain(c, fixture.Logs.All, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StoredHashes_KeyedWithTheMasterKey_NotTheUnkeyedSha256Form()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (_, codes) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);
        var (holderKey, stored) = await StoredCodesAsync(flow.Subject);
        var masterKey = Factory.Services.GetRequiredService<IOptions<CertLibraryDataOptions>>().Value.MasterKey;

        // What the database holds is recomputable from the code only with the master-key-derived key: neither the
        // unkeyed form (everything it needs is in the database) nor the same HMAC under another key matches.
        var withKey = codes.Select(c => RecoveryCodes.Hash(RecoveryCodes.DeriveKey(masterKey), holderKey, c)).Order(StringComparer.Ordinal);
        var withoutKey = codes.Select(c => RecoveryCodes.LegacyHash(holderKey, c));
        var otherKey = codes.Select(c => RecoveryCodes.Hash(RecoveryCodes.DeriveKey(RandomNumberGenerator.GetBytes(32)), holderKey, c));
        Assert.Equal(withKey, stored.Order(StringComparer.Ordinal));
        Assert.All(stored, h => Assert.StartsWith("v2:", h, StringComparison.Ordinal));
        Assert.Empty(stored.Intersect(withoutKey));
        Assert.Empty(stored.Intersect(otherKey));
    }

    [Fact]
    public async Task Login_CodeStoredInTheUnkeyedFormBeforeTheUpgrade_RedeemsOnce()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (_, codes) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);
        var (holderKey, stored) = await StoredCodesAsync(flow.Subject);
        var masterKey = Factory.Services.GetRequiredService<IOptions<CertLibraryDataOptions>>().Value.MasterKey;
        await using (var connection = await Factory.Services.GetRequiredService<ICertLibraryDatabase>().OpenConnectionAsync(default))
        {
            // The row as an earlier version wrote it: SHA-256 over the holder key and the code, no prefix.
            Assert.Equal(1, await connection.ExecuteAsync(
                "UPDATE identity_recovery_codes SET code_hash = @legacy WHERE holder_key = @holderKey AND code_hash = @current",
                new { legacy = RecoveryCodes.LegacyHash(holderKey, codes[5]), holderKey, current = RecoveryCodes.Hash(RecoveryCodes.DeriveKey(masterKey), holderKey, codes[5]) }));
        }

        var html = await TotpFlow.PasswordStepAsync(flow);
        using var redirect = await TotpFlow.SubmitRecoveryCodeAsync(flow, html, codes[5]);
        var again = await TotpFlow.PasswordStepAsync(flow);
        using var reused = await TotpFlow.SubmitRecoveryCodeAsync(flow, again, codes[5]);

        Assert.True(OidcFlow.Query(redirect).ContainsKey("code"));
        Assert.Null(reused.Headers.Location);
        Assert.Contains("恢复码错误或已使用", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(stored.Count - 1, (await StoredCodesAsync(flow.Subject)).Hashes.Count);
    }

    [Fact]
    public async Task Login_RecoveryCodeInsteadOfTotp_SignsInOnce_AcrMfaAmrPwdMfaWithoutOtp()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (_, codes) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);
        var html = await TotpFlow.PasswordStepAsync(flow);

        using var redirect = await TotpFlow.SubmitRecoveryCodeAsync(flow, html, codes[3]);
        using var response = await flow.RedeemAsync(OidcFlow.Query(redirect)["code"]);
        var tokens = await IdentityApiFactory.JsonAsync(response);

        Assert.Contains("name=\"recovery_code\"", html, StringComparison.Ordinal);
        Assert.Contains("恢复码", html, StringComparison.Ordinal);
        foreach (var token in new[] { tokens.GetProperty("id_token").GetString(), tokens.GetProperty("access_token").GetString() }.Select(t => new JsonWebToken(t)))
        {
            Assert.Equal(IdentityConstants.AcrMultiFactor, token.GetClaim("acr").Value);
            Assert.True(token.TryGetPayloadValue<string[]>("amr", out var amr));
            Assert.Equal(["pwd", "mfa"], amr);
        }

        // Single use: the same code again is refused; another one still works.
        var again = await TotpFlow.PasswordStepAsync(flow);
        using var reused = await TotpFlow.SubmitRecoveryCodeAsync(flow, again, codes[3]);
        Assert.Equal(HttpStatusCode.OK, reused.StatusCode);
        Assert.Null(reused.Headers.Location);
        Assert.Contains("恢复码错误或已使用", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var other = await TotpFlow.SubmitRecoveryCodeAsync(flow, again, codes[4]);
        Assert.True(OidcFlow.Query(other).ContainsKey("code"));
        Assert.Equal(8, await Factory.Services.GetRequiredService<TotpManager>().RecoveryCodesLeftAsync(flow.Subject, CancellationToken.None));
    }

    [Fact]
    public async Task Login_RecoveryCodeTypedLowercaseWithSpacesAndLookalikes_Accepted()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (_, codes) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);
        var typed = " " + codes[0].Replace("-", " ", StringComparison.Ordinal).Replace('0', 'o').Replace('1', 'l').ToLowerInvariant() + " ";
        var html = await TotpFlow.PasswordStepAsync(flow);

        using var redirect = await TotpFlow.SubmitRecoveryCodeAsync(flow, html, typed);

        Assert.True(OidcFlow.Query(redirect).ContainsKey("code"));
    }

    [Fact]
    public async Task Login_WrongRecoveryCodes_CountTowardLockout_ThenARightCodeIsRefused()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (_, codes) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);
        var html = await TotpFlow.PasswordStepAsync(flow);

        for (var i = 0; i < 4; i++)
        {
            using var wrong = await TotpFlow.SubmitRecoveryCodeAsync(flow, html, "ABCD-EFGH-JKMN");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using var locking = await TotpFlow.SubmitRecoveryCodeAsync(flow, html, "not a code");
        using var right = await TotpFlow.SubmitRecoveryCodeAsync(flow, html, codes[0]);

        Assert.Equal(HttpStatusCode.TooManyRequests, locking.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Null(right.Headers.Location);
        Assert.Equal(10, await Factory.Services.GetRequiredService<TotpManager>().RecoveryCodesLeftAsync(flow.Subject, CancellationToken.None));
    }

    [Fact]
    public async Task Regenerate_NeedsThePassword_NewCodesReplaceTheOldOnes()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (secret, old) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);
        Time.Advance(Step);
        var step = await TotpFlow.PasswordStepAsync(flow);
        using var signedIn = await TotpFlow.SubmitCodeAsync(flow, step, TotpFlow.CodeAt(secret, Time.GetUtcNow()));
        Assert.True(OidcFlow.Query(signedIn).ContainsKey("code"));

        using var page = await flow.Browser.GetAsync("/account/totp/recovery-codes");
        var html = await page.Content.ReadAsStringAsync();
        using var wrongPassword = await PostRegenerateAsync(flow, html, "not the password");
        var refused = await wrongPassword.Content.ReadAsStringAsync();
        using var regenerated = await PostRegenerateAsync(flow, html, OidcFlow.Password);
        var fresh = TotpFlow.RecoveryCodesShownIn(await regenerated.Content.ReadAsStringAsync());

        Assert.Contains("您还有 10 个未使用的恢复码", html, StringComparison.Ordinal);
        Assert.Contains("密码不正确", refused, StringComparison.Ordinal);
        Assert.Empty(TotpFlow.RecoveryCodesShownIn(refused));
        Assert.Equal(10, fresh.Count);
        Assert.Empty(fresh.Intersect(old));
        var login = await TotpFlow.PasswordStepAsync(flow);
        using var oldCode = await TotpFlow.SubmitRecoveryCodeAsync(flow, login, old[0]);
        Assert.Null(oldCode.Headers.Location);
        using var newCode = await TotpFlow.SubmitRecoveryCodeAsync(flow, login, fresh[0]);
        Assert.True(OidcFlow.Query(newCode).ContainsKey("code"));
    }

    [Fact]
    public async Task RecoveryPage_NotSignedIn_401_EnglishByAcceptLanguage()
    {
        using var browser = OidcFlow.NewBrowser(Factory);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/totp/recovery-codes");
        request.Headers.AcceptLanguage.ParseAdd("en-GB");

        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Sign in", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disable_RemovesTheRecoveryCodes()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (secret, _) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, Time);
        Time.Advance(Step);
        using var page = await flow.Browser.GetAsync("/account/totp");
        var html = await page.Content.ReadAsStringAsync();

        using var disabled = await TotpFlow.PostCodeAsync(flow, html, "/account/totp/disable", TotpFlow.CodeAt(secret, Time.GetUtcNow()));

        Assert.Contains("id=\"done\"", await disabled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await Factory.Services.GetRequiredService<TotpManager>().RecoveryCodesLeftAsync(flow.Subject, CancellationToken.None));
    }

    private async Task<(string HolderKey, IReadOnlyList<string> Hashes)> StoredCodesAsync(string subject)
    {
        await using var connection = await Factory.Services.GetRequiredService<ICertLibraryDatabase>().OpenConnectionAsync(default);
        var holderKey = await connection.QuerySingleAsync<string>("SELECT holder_key FROM identity_citizens WHERE subject = @subject", new { subject });
        var hashes = (await connection.QueryAsync<string>("SELECT code_hash FROM identity_recovery_codes WHERE holder_key = @holderKey", new { holderKey })).ToList();
        return (holderKey, hashes);
    }

    private static async Task<HttpResponseMessage> PostRegenerateAsync(OidcFlow flow, string html, string password) =>
        await flow.Browser.PostAsync("/account/totp/recovery-codes", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = OidcFlow.Field(html, "__RequestVerificationToken"),
            ["password"] = password,
        }));

    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")]
    private static partial Regex CodeFormat();
}
