using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CertLibrary.Identity.Tests;

public sealed class AuthorizationCodeTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task Authorize_LoginThenRedirect_CarriesCodeStateAndIss()
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.LoginAsync();

        var query = OidcFlow.Query(response);
        Assert.Equal("state-123", query["state"]);
        Assert.Equal(factory.Issuer, query["iss"]);
        Assert.True(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(query["code"]).Length >= 16);
    }

    [Fact]
    public async Task Token_AuthorizationCode_IdTokenHasNonceAuthTimeAcrAmrAndOpaqueSub()
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        var tokens = await flow.TokensAsync();

        var idToken = new JsonWebToken(tokens.GetProperty("id_token").GetString());
        Assert.Equal("ES256", idToken.Alg);
        Assert.Equal(factory.Issuer, idToken.Issuer);
        Assert.Equal([flow.Client.ClientId], idToken.Audiences);
        Assert.Equal(flow.Subject, idToken.Subject);
        Assert.DoesNotContain(flow.CitizenId.ToString(), idToken.Subject, StringComparison.Ordinal);
        Assert.Equal("nonce-456", idToken.GetClaim("nonce").Value);
        Assert.True(idToken.TryGetPayloadValue<long>("auth_time", out var authTime) && authTime > 0);
        Assert.Equal(IdentityConstants.AcrPassword, idToken.GetClaim("acr").Value);
        Assert.Equal("pwd", idToken.GetClaim("amr").Value);
        Assert.Equal(flow.CitizenId.ToString(), idToken.GetClaim("citizen_id").Value);
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("refresh_token").GetString()));
        Assert.Equal("at+jwt", new JsonWebToken(tokens.GetProperty("access_token").GetString()).Typ);
    }

    [Fact]
    public async Task Authorize_RedirectUriNotRegistered_ErrorPageWithoutRedirect()
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["redirect_uri"] = OidcFlow.RedirectUri + "/evil" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Authorize_UnknownClient_ErrorPageWithoutRedirect()
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["client_id"] = "unknown" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("code_challenge", null)]
    [InlineData("code_challenge_method", "plain")]
    [InlineData("code_challenge_method", null)]
    [InlineData("response_type", "token")]
    [InlineData("response_type", "id_token")]
    public async Task Authorize_BadPkceOrResponseType_ErrorPageWithoutRedirectOrCode(string parameter, string? value)
    {
        // OpenIddict checks these before it has matched the redirect URI against the client's, and never redirects to a
        // URI it has not matched: the error is a page (RFC 6749 §4.1.2.1 allows either when in doubt).
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { [parameter] = value }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("id=\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scope", "openid certlib.admin", "invalid_scope")]
    public async Task Authorize_BadParameter_RedirectsWithErrorStateAndIss(string parameter, string? value, string error)
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { [parameter] = value }));

        var query = OidcFlow.Query(response);
        Assert.Equal(error, query["error"]);
        Assert.Equal("state-123", query["state"]);
        Assert.Equal(factory.Issuer, query["iss"]);
    }

    [Fact]
    public async Task Token_WrongCodeVerifier_InvalidGrant()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();

        using var response = await flow.RedeemAsync(code, OidcFlow.NewVerifier());

        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_MissingCodeVerifier_InvalidRequest()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();

        using var response = await flow.RedeemAsync(code, string.Empty);

        // A required parameter is missing (RFC 6749 §5.2 invalid_request); a wrong verifier is invalid_grant (test above).
        Assert.Equal("invalid_request", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_DifferentRedirectUri_InvalidGrant()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();

        using var response = await flow.RedeemAsync(code, redirectUri: "https://portal.test/other");

        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_CodeOfAnotherClient_InvalidGrant()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var other = await factory.Clients.CreateAsync(null, "Other", ["openid"], new ClientRegistrationOptions { RedirectUris = [OidcFlow.RedirectUri] });
        var code = await flow.GetCodeAsync();

        using var response = await flow.RedeemAsync(code, client: other);

        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_CodeReused_InvalidGrantAndTokensFromItRevoked()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();
        using var first = await flow.RedeemAsync(code);
        var tokens = await IdentityApiFactory.JsonAsync(first);
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        Assert.True(await flow.IsActiveAsync(accessToken));

        using var second = await flow.RedeemAsync(code);

        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(second)).GetProperty("error").GetString());
        Assert.False(await flow.IsActiveAsync(accessToken));
        Assert.False(await flow.IsActiveAsync(refreshToken));
    }

    [Fact]
    public async Task Token_CodeWhoseSessionEndedBeforeRedemption_InvalidGrantAndCodeUsedUp()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();
        // Signing in again in the same browser ends the session the first code came from.
        using var again = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["prompt"] = "login" }));
        Assert.NotNull(OidcFlow.Query(again)["code"]);

        using var response = await flow.RedeemAsync(code);
        using var retry = await flow.RedeemAsync(code);

        var error = await IdentityApiFactory.JsonAsync(response);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.Equal("The grant was revoked: its sign-in session has ended.", error.GetProperty("error_description").GetString());
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(retry)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Sso_SecondAuthorizationOfAnotherPortal_CodeRedeemsWithTheSameSession()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var first = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;
        var other = await factory.Clients.CreateAsync(null, "Other portal", ["openid"], new ClientRegistrationOptions { RedirectUris = [OidcFlow.RedirectUri] });

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["client_id"] = other.ClientId, ["scope"] = "openid" }));
        using var tokens = await flow.RedeemAsync(OidcFlow.Query(response)["code"], client: other);

        var second = (await IdentityApiFactory.JsonAsync(tokens)).GetProperty("id_token").GetString()!;
        Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(first).GetClaim("sid").Value,
            new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(second).GetClaim("sid").Value);
    }

    [Fact]
    public async Task Sso_SecondAuthorization_NoPasswordPrompt()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl());

        Assert.NotNull(OidcFlow.Query(response)["code"]);
    }

    [Fact]
    public async Task PromptNone_WithoutSession_LoginRequired()
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        Assert.Equal("login_required", OidcFlow.Query(response)["error"]);
    }

    [Fact]
    public async Task PromptLogin_WithSession_ShowsLoginPage()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "login" }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("name=\"password\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_Rejected()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        using var page = await flow.Browser.GetAsync(flow.AuthorizeUrl());

        using var response = await flow.SubmitLoginAsync(await page.Content.ReadAsStringAsync(), withAntiforgery: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Login_FiveFailures_LocksAccountEvenForRightPassword()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        for (var i = 0; i < 5; i++)
        {
            using var failed = await flow.LoginAsync(password: "wrong password");
            Assert.Null(failed.Headers.Location);
        }

        using var response = await flow.LoginAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Login_WrongPassword_NoRedirectAndGenericMessage()
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.LoginAsync(password: "wrong password");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("身份证号码或密码错误", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginPage_AntiFramingNoCacheAndChineseByDefault()
    {
        using var flow = await OidcFlow.CreateAsync(factory);

        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl());

        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("lang=\"zh-CN\"", html, StringComparison.Ordinal);
        Assert.Contains("身份证号码", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginPage_EnglishAcceptLanguage_English()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        using var request = new HttpRequestMessage(HttpMethod.Get, flow.AuthorizeUrl());
        request.Headers.AcceptLanguage.ParseAdd("en-US,en;q=0.9,zh;q=0.5");

        using var response = await flow.Browser.SendAsync(request);

        Assert.Contains("Identity number", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_AuthorizationCode_ResponseNotCached()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();

        using var response = await flow.RedeemAsync(code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("no-cache", response.Headers.Pragma.ToString());
    }

    [Fact]
    public async Task UserInfo_GetAndPost_ReturnSubjectNameAndCitizenId()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var accessToken = (await flow.TokensAsync()).GetProperty("access_token").GetString()!;
        using var http = factory.CreateClient();
        using var get = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        get.Headers.Authorization = new("Bearer", accessToken);

        using var getResponse = await http.SendAsync(get);
        using var postResponse = await http.PostAsync("/connect/userinfo", new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = accessToken }));

        foreach (var response in new[] { getResponse, postResponse })
        {
            var body = await IdentityApiFactory.JsonAsync(response);
            Assert.Equal(flow.Subject, body.GetProperty("sub").GetString());
            Assert.Equal("张三", body.GetProperty("name").GetString());
            Assert.Equal(flow.CitizenId.ToString(), body.GetProperty("citizen_id").GetString());
        }
    }

    [Fact]
    public async Task UserInfo_NoToken_401()
    {
        using var http = factory.CreateClient();

        using var response = await http.GetAsync("/connect/userinfo");

        // RFC 6750 §3.1: a request without any token gets the Bearer challenge without an error code.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_AccessToken_IntrospectsInactive()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var accessToken = (await flow.TokensAsync()).GetProperty("access_token").GetString()!;

        using var revoke = await flow.BackChannelAsync("/connect/revocation", new() { ["token"] = accessToken, ["token_type_hint"] = "access_token" });

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.False(await flow.IsActiveAsync(accessToken));
    }

    [Fact]
    public async Task Revocation_RefreshToken_RefreshFails()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var refresh = (await flow.TokensAsync()).GetProperty("refresh_token").GetString()!;

        using var revoke = await flow.BackChannelAsync("/connect/revocation", new() { ["token"] = refresh });
        using var response = await flow.RefreshAsync(refresh);

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Introspection_WithoutClientAuthentication_401()
    {
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "x" }));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task EndSession_ValidHint_EndsSsoAndRedirectsWithState()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var idToken = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;

        using var logout = await flow.Browser.GetAsync(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/connect/endsession",
            new Dictionary<string, string?> { ["id_token_hint"] = idToken, ["post_logout_redirect_uri"] = OidcFlow.PostLogoutUri, ["state"] = "bye" }));
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        Assert.Equal(OidcFlow.PostLogoutUri + "?state=bye", logout.Headers.Location?.ToString());
        Assert.Equal("login_required", OidcFlow.Query(after)["error"]);
    }

    [Fact]
    public async Task EndSession_ValidHintUnregisteredPostLogoutUri_ErrorPageWithoutRedirect()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var idToken = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;

        using var logout = await flow.Browser.GetAsync(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/connect/endsession",
            new Dictionary<string, string?> { ["id_token_hint"] = idToken, ["post_logout_redirect_uri"] = "https://evil.test/" }));

        // OpenIddict refuses the whole request (RP-Initiated Logout §3: never redirect to an unregistered URI).
        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Null(logout.Headers.Location);
        Assert.Contains("id=\"error\"", await logout.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

public sealed class AuthorizationCodeClockTests
{
    [Fact]
    public async Task Token_CodeOlderThan60Seconds_InvalidGrant()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await flow.GetCodeAsync();

        time.Advance(TimeSpan.FromSeconds(61));
        using var response = await flow.RedeemAsync(code);

        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task MaxAge_SessionOlderThanMaxAge_ShowsLoginPage()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        await flow.GetCodeAsync();

        time.Advance(TimeSpan.FromSeconds(120));
        using var response = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["max_age"] = "60" }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("name=\"password\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_Rotates_AndOldTokenRejected()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        var grace = factory.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.RefreshTokenReuseGrace;
        var refresh = (await flow.TokensAsync()).GetProperty("refresh_token").GetString()!;

        using var first = await flow.RefreshAsync(refresh);
        var rotated = (await IdentityApiFactory.JsonAsync(first)).GetProperty("refresh_token").GetString()!;
        time.Advance(grace + TimeSpan.FromSeconds(1));
        using var old = await flow.RefreshAsync(refresh);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotEqual(refresh, rotated);
        Assert.Equal("no-store", first.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(old)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Refresh_RotatedTokenReusedWithinGrace_SucceedsAndGrantKept()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        var grace = factory.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.RefreshTokenReuseGrace;
        var refresh = (await flow.TokensAsync()).GetProperty("refresh_token").GetString()!;
        using var first = await flow.RefreshAsync(refresh);
        var rotated = await IdentityApiFactory.JsonAsync(first);

        time.Advance(grace / 2); // a concurrent refresh that lost the race presents the same token a moment later
        using var concurrent = await flow.RefreshAsync(refresh);
        using var next = await flow.RefreshAsync(rotated.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.OK, concurrent.StatusCode);
        Assert.False(string.IsNullOrEmpty((await IdentityApiFactory.JsonAsync(concurrent)).GetProperty("access_token").GetString()));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.True(await flow.IsActiveAsync(rotated.GetProperty("access_token").GetString()!));
    }

    [Fact]
    public async Task Refresh_RotatedTokenReusedAfterGrace_RevokesWholeGrant()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        var refresh = (await flow.TokensAsync()).GetProperty("refresh_token").GetString()!;
        using var first = await flow.RefreshAsync(refresh);
        var rotated = (await IdentityApiFactory.JsonAsync(first)).GetProperty("refresh_token").GetString()!;

        time.Advance(TimeSpan.FromSeconds(10));
        using var reuse = await flow.RefreshAsync(refresh);
        using var afterReuse = await flow.RefreshAsync(rotated);

        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(reuse)).GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(afterReuse)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Login_PerIpRateLimit_429()
    {
        using var factory = new IdentityApiFactory { Settings = { ["Identity:LoginAttemptsPerIpPerMinute"] = "2" } };
        using var flow = await OidcFlow.CreateAsync(factory);

        using var one = await flow.LoginAsync(password: "wrong password");
        using var two = await flow.LoginAsync(password: "wrong password");
        using var three = await flow.LoginAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, three.StatusCode);
        Assert.Null(three.Headers.Location);
    }
}
