using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity.Tests;

/// <summary>OpenID Connect Back-Channel Logout 1.0 from the provider's side; the portals are real loopback receivers.</summary>
public sealed class BackChannelLogoutTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task EndSession_ClientWithBackChannelUri_ReceivesSignedLogoutTokenForTheSession()
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        using var factory = NewFactory();
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: receiver.Url + "/a");
        var tokens = await flow.TokensAsync();
        var idToken = new JsonWebToken(tokens.GetProperty("id_token").GetString());
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;

        using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id_token_hint"] = idToken.EncodedToken,
            ["post_logout_redirect_uri"] = OidcFlow.PostLogoutUri,
        }));
        var received = Assert.Single(await receiver.WaitForAsync(1, Wait));

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("a", received.Endpoint);
        Assert.Equal("application/x-www-form-urlencoded", received.ContentType?.Split(';')[0]);
        Assert.Equal(1, received.FormFields);
        var jwt = new JsonWebToken(received.LogoutToken);
        Assert.Equal("logout+jwt", jwt.Typ);
        Assert.Equal("ES256", jwt.Alg);
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(received.LogoutToken, new TokenValidationParameters
        {
            ValidIssuer = factory.Issuer,
            ValidAudience = flow.Client.ClientId,
            IssuerSigningKeys = await JwksAsync(factory),
            ValidTypes = ["logout+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        Assert.Equal(idToken.GetClaim("sid").Value, jwt.GetClaim("sid").Value);
        Assert.Equal(idToken.Subject, jwt.Subject);
        Assert.Equal([flow.Client.ClientId], jwt.Audiences);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.InRange(jwt.IssuedAt, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        Assert.InRange((jwt.ValidTo - jwt.IssuedAt).TotalSeconds, 1, 120);
        Assert.False(jwt.TryGetClaim("nonce", out _));
        var events = JsonDocument.Parse(JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload)).RootElement.GetProperty("events").GetRawText()).RootElement;
        Assert.Equal("{}", events.GetProperty(IdentityConstants.BackChannelLogoutEvent).GetRawText());
        Assert.Single(events.EnumerateObject());
        // Logout ends what the session granted: its refresh token (offline_access included) no longer works.
        Assert.False(await flow.IsActiveAsync(refreshToken));
    }

    [Fact]
    public async Task EndSession_ClientWithoutBackChannelUri_GetsNothing()
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        using var factory = NewFactory();
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: receiver.Url + "/with-uri");
        var other = await factory.Clients.CreateAsync(null, "Portal without back-channel URI", ["openid", "profile"],
            new ClientRegistrationOptions { RedirectUris = [receiver.Url + "/callback"], PostLogoutRedirectUris = [receiver.Url + "/signed-out"] });
        var idToken = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;
        // The second portal takes part in the same SSO session (no password asked).
        using var sso = await flow.Browser.GetAsync(flow.AuthorizeUrl(new()
        {
            ["client_id"] = other.ClientId,
            ["redirect_uri"] = receiver.Url + "/callback",
            ["scope"] = "openid profile",
        }));
        Assert.Equal(HttpStatusCode.Redirect, sso.StatusCode);
        var sid = new JsonWebToken(idToken).GetClaim("sid").Value;
        var session = await factory.Services.GetRequiredService<GrantStore>().FindSessionAsync(sid, CancellationToken.None);
        Assert.Contains(other.ClientId, session!.Clients);

        using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token_hint"] = idToken }));
        await receiver.WaitForAsync(1, Wait);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var received = Assert.Single(receiver.Received);
        Assert.Equal("with-uri", received.Endpoint);
        Assert.Equal([flow.Client.ClientId], new JsonWebToken(received.LogoutToken).Audiences);
    }

    [Fact]
    public async Task Delivery_PortalAnswers500Once_RetriedWithTheSameToken()
    {
        await using var receiver = await LogoutReceiver.StartAsync(attempt => attempt == 1 ? 500 : 200);
        using var factory = NewFactory();
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: receiver.Url + "/flaky");
        var idToken = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;

        using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token_hint"] = idToken }));
        var received = await receiver.WaitForAsync(2, Wait);

        Assert.Equal([500, 200], received.Select(r => r.AnsweredStatus));
        Assert.Equal(received[0].LogoutToken, received[1].LogoutToken);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task Delivery_PortalRefusesWith400_NotRetried()
    {
        await using var receiver = await LogoutReceiver.StartAsync(_ => 400);
        using var factory = NewFactory();
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: receiver.Url + "/refusing");
        var idToken = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;

        using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token_hint"] = idToken }));
        await receiver.WaitForAsync(1, Wait);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Login_ReplacingALiveSession_EndsItForItsPortals()
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        using var factory = NewFactory();
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: receiver.Url + "/a");
        var first = new JsonWebToken((await flow.TokensAsync()).GetProperty("id_token").GetString());

        using var again = await flow.LoginAsync(flow.AuthorizeUrl(new() { ["prompt"] = "login" }));
        var received = Assert.Single(await receiver.WaitForAsync(1, Wait));

        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal(first.GetClaim("sid").Value, new JsonWebToken(received.LogoutToken).GetClaim("sid").Value);
    }

    [Fact]
    public async Task EndSession_PostWithoutSessionCookie_EndsTheSessionNamedByTheIdToken()
    {
        // A portal on another site posts the logout form: the browser does not send the SameSite=Lax SSO cookie along.
        await using var receiver = await LogoutReceiver.StartAsync();
        using var factory = NewFactory();
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: receiver.Url + "/a");
        var idToken = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;
        using var cookieless = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        using var logout = await cookieless.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token_hint"] = idToken }));
        using var after = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));

        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Equal("login_required", OidcFlow.Query(after)["error"]);
        await receiver.WaitForAsync(1, Wait);
    }

    [Fact]
    public async Task Discovery_AdvertisesBackChannelLogoutWithSessions()
    {
        using var factory = NewFactory();
        using var http = factory.CreateClient();

        var discovery = await IdentityApiFactory.JsonAsync(await http.GetAsync("/.well-known/openid-configuration"));

        Assert.True(discovery.GetProperty("backchannel_logout_supported").GetBoolean());
        Assert.True(discovery.GetProperty("backchannel_logout_session_supported").GetBoolean());
    }

    private static IdentityApiFactory NewFactory() => new() { Settings = { ["Identity:BackChannelLogoutRetryDelay"] = "00:00:00.200" } };

    private static async Task<IList<SecurityKey>> JwksAsync(IdentityApiFactory factory)
    {
        using var http = factory.CreateClient();
        return new JsonWebKeySet(await http.GetStringAsync("/.well-known/openid-configuration/jwks")).GetSigningKeys();
    }
}
