using System.Net;

namespace CertLibrary.Identity.Tests;

/// <summary>Sign-ins arriving together: password hashes wait for the hashing threads, and every rule still holds.</summary>
public sealed class ConcurrentLoginTests : IDisposable
{
    private readonly IdentityApiFactory _factory = new() { Settings = { ["Identity:LoginAttemptsPerIpPerMinute"] = "1000" } };

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Login_SixteenCitizensAtOnce_EverySignInGetsItsCodeAndTokens()
    {
        var flows = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => OidcFlow.CreateAsync(_factory, "openid")));
        try
        {
            var subjects = await Task.WhenAll(flows.Select(async flow =>
            {
                using var login = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["scope"] = "openid" }));
                var code = OidcFlow.Query(login)["code"];
                using var tokens = await flow.RedeemAsync(code);
                Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
                var idToken = (await IdentityApiFactory.JsonAsync(tokens)).GetProperty("id_token").GetString()!;
                return new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(idToken).Subject;
            }));

            Assert.Equal(flows.Select(f => f.Subject), subjects);
        }
        finally
        {
            foreach (var flow in flows)
            {
                flow.Dispose();
            }
        }
    }

    [Fact]
    public async Task Login_FiveWrongPasswordsAtOnce_AccountLockedEvenForTheRightOne()
    {
        using var flow = await OidcFlow.CreateAsync(_factory);
        var pages = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            var browser = OidcFlow.NewBrowser(_factory);
            using var page = await browser.GetAsync(flow.AuthorizeUrl());
            return (browser, html: await page.Content.ReadAsStringAsync());
        }));

        var failures = await Task.WhenAll(pages.Select(async p =>
        {
            using var response = await p.browser.PostAsync("/connect/authorize/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["request"] = OidcFlow.Field(p.html, "request"),
                ["__RequestVerificationToken"] = OidcFlow.Field(p.html, "__RequestVerificationToken"),
                ["idNumber"] = flow.CitizenId.ToString(),
                ["password"] = "wrong password",
            }));
            p.browser.Dispose();
            return (response.StatusCode, response.Headers.Location);
        }));
        using var right = await flow.LoginAsync();

        Assert.All(failures, f => Assert.Null(f.Location));
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Null(right.Headers.Location);
    }

    [Fact]
    public async Task Login_UnknownNumbersAndRealOnesAtOnce_UnknownOnesFailRealOnesSucceed()
    {
        using var flow = await OidcFlow.CreateAsync(_factory);
        var unknown = Identifiers.CitizenId.Create("110105", new DateOnly(1960, 2, 29), 17);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var attempt = await OidcFlow.CreateAsync(_factory);
            using var response = i % 2 == 0 ? await attempt.LoginAsync(idNumber: unknown.ToString()) : await attempt.LoginAsync();
            return (Unknown: i % 2 == 0, Redirected: response.StatusCode == HttpStatusCode.Redirect);
        }));

        Assert.All(attempts, a => Assert.Equal(!a.Unknown, a.Redirected));
    }
}
