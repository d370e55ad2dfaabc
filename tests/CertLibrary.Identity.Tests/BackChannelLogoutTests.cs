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
        var session = await factory.Services.GetRequiredService<SessionStore>().FindSessionAsync(sid, CancellationToken.None);
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
    public async Task EndSession_PortalDownAndNodeRestarted_NewNodeDeliversAValidLogoutToken()
    {
        // The portal is down when the citizen logs out, and the node stops before it comes back: the notice must survive
        // in the database and be delivered by the restarted node (a new host on the same database) once the portal is up.
        var port = LogoutReceiver.FreePort();
        var first = new IdentityApiFactory { KeepDatabaseOnDispose = true, Settings = { ["Identity:BackChannelLogoutRetryDelay"] = "00:00:03", ["Identity:BackChannelLogoutAttempts"] = "10" } };
        string sid, subject, clientId;
        LogoutDelivery pending;
        using (first)
        {
            using var flow = await OidcFlow.CreateAsync(first, backChannelLogoutUri: $"http://127.0.0.1:{port}/a");
            var idToken = new JsonWebToken((await flow.TokensAsync()).GetProperty("id_token").GetString());
            (sid, subject, clientId) = (idToken.GetClaim("sid").Value, idToken.Subject, flow.Client.ClientId);

            using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token_hint"] = idToken.EncodedToken }));
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
            pending = await WaitForDeliveryAsync(first, d => d.Attempts >= 1);
            Assert.Equal(clientId, pending.ClientId);
        }

        using var restarted = IdentityApiFactory.RestartOf(first, new() { ["Identity:BackChannelLogoutRetryDelay"] = "00:00:00.300", ["Identity:BackChannelLogoutAttempts"] = "10" });
        // The restarted node takes the row over (the portal is still down), then the portal comes up.
        await WaitForDeliveryAsync(restarted, d => d.Attempts > pending.Attempts);
        await using var receiver = await LogoutReceiver.StartAsync(port: port);
        var received = Assert.Single(await receiver.WaitForAsync(1, Wait));

        var validation = await ValidateLogoutTokenAsync(restarted, clientId, received.LogoutToken!);
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var jwt = new JsonWebToken(received.LogoutToken);
        Assert.Equal(sid, jwt.GetClaim("sid").Value);
        Assert.Equal(subject, jwt.Subject);
        Assert.Empty(await restarted.Services.GetRequiredService<SessionStore>().ListLogoutDeliveriesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Delivery_StoredTokenOlderThanItsLifetime_FreshTokenWithNewJtiSameSid()
    {
        // The first node's clock stands 10 minutes back: the token it minted for the failed attempt has long expired when
        // the restarted node retries, which must send a fresh token (new jti, same sub and sid), never the expired one.
        var port = LogoutReceiver.FreePort();
        var past = new TestTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-10));
        var first = new IdentityApiFactory { KeepDatabaseOnDispose = true, Time = past, Settings = { ["Identity:BackChannelLogoutRetryDelay"] = "00:00:00.100", ["Identity:BackChannelLogoutAttempts"] = "10" } };
        string sid, clientId;
        LogoutDelivery pending;
        using (first)
        {
            using var flow = await OidcFlow.CreateAsync(first, backChannelLogoutUri: $"http://127.0.0.1:{port}/a");
            var idToken = new JsonWebToken((await flow.TokensAsync()).GetProperty("id_token").GetString());
            (sid, clientId) = (idToken.GetClaim("sid").Value, flow.Client.ClientId);
            using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token_hint"] = idToken.EncodedToken }));
            pending = await WaitForDeliveryAsync(first, d => d.Attempts >= 1 && d.LogoutToken is not null);
        }

        await using var receiver = await LogoutReceiver.StartAsync(port: port);
        using var restarted = IdentityApiFactory.RestartOf(first, new() { ["Identity:BackChannelLogoutRetryDelay"] = "00:00:00.100" });
        _ = restarted.Services;
        var received = Assert.Single(await receiver.WaitForAsync(1, Wait));

        var stale = new JsonWebToken(pending.LogoutToken);
        Assert.True(stale.ValidTo < DateTime.UtcNow.AddMinutes(-5));
        var jwt = new JsonWebToken(received.LogoutToken);
        Assert.NotEqual(stale.Id, jwt.Id);
        Assert.Equal(sid, jwt.GetClaim("sid").Value);
        Assert.Equal(stale.Subject, jwt.Subject);
        var validation = await ValidateLogoutTokenAsync(restarted, clientId, received.LogoutToken!);
        Assert.True(validation.IsValid, validation.Exception?.Message);
    }

    [Fact]
    public async Task Delivery_PortalKeepsFailing_GivenUpAfterTheRetryLimitWithAnAuditEvent()
    {
        await using var receiver = await LogoutReceiver.StartAsync(_ => 503);
        var logs = new LogCapture();
        using var factory = new IdentityApiFactory
        {
            Logs = logs,
            Settings = { ["Identity:BackChannelLogoutRetryDelay"] = "00:00:00.100", ["Identity:BackChannelLogoutAttempts"] = "3" },
        };
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: receiver.Url + "/down");
        var idToken = (await flow.TokensAsync()).GetProperty("id_token").GetString()!;

        using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token_hint"] = idToken }));
        await receiver.WaitForAsync(3, Wait);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.Equal(3, receiver.Received.Count);
        Assert.Empty(await factory.Services.GetRequiredService<SessionStore>().ListLogoutDeliveriesAsync(CancellationToken.None));
        Assert.Contains(logs.Messages, m => m.Contains("Audit: back-channel logout to client " + flow.Client.ClientId + " given up after 3 attempts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EndSession_QueuesOneOutboxRowPerBackChannelPortal_InTheSameWriteAsTheSessionEnd()
    {
        var port = LogoutReceiver.FreePort();
        using var factory = new IdentityApiFactory { Settings = { ["Identity:BackChannelLogoutRetryDelay"] = "00:01:00" } };
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: $"http://127.0.0.1:{port}/a");
        var idToken = new JsonWebToken((await flow.TokensAsync()).GetProperty("id_token").GetString());
        var store = factory.Services.GetRequiredService<SessionStore>();

        Assert.True(await store.EndSessionAsync(idToken.GetClaim("sid").Value, factory.Issuer!, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), CancellationToken.None));
        Assert.False(await store.EndSessionAsync(idToken.GetClaim("sid").Value, factory.Issuer!, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), CancellationToken.None));
        var row = Assert.Single(await store.ListLogoutDeliveriesAsync(CancellationToken.None));

        Assert.Equal(flow.Client.ClientId, row.ClientId);
        Assert.Equal(idToken.GetClaim("sid").Value, row.SessionId);
        Assert.Equal(idToken.Subject, row.Subject);
        Assert.Equal(factory.Issuer, row.Issuer);
    }

    private static async Task<LogoutDelivery> WaitForDeliveryAsync(IdentityApiFactory factory, Func<LogoutDelivery, bool> condition)
    {
        var store = factory.Services.GetRequiredService<SessionStore>();
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            if ((await store.ListLogoutDeliveriesAsync(CancellationToken.None)).FirstOrDefault(condition) is { } row)
            {
                return row;
            }

            Assert.True(DateTime.UtcNow < deadline, "the logout delivery did not reach the expected state");
            await Task.Delay(50);
        }
    }

    private static async Task<TokenValidationResult> ValidateLogoutTokenAsync(IdentityApiFactory factory, string clientId, string token) =>
        await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = factory.Issuer,
            ValidAudience = clientId,
            IssuerSigningKeys = await JwksAsync(factory),
            ValidTypes = ["logout+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ClockSkew = TimeSpan.Zero,
        });

    [Fact]
    public async Task Outbox_TwoNodesOnPostgreSql_EveryEndedSessionDeliveredExactlyOnce()
    {
        // Both nodes' workers poll the same outbox every 50 ms: the atomic claim (FOR UPDATE SKIP LOCKED) must hand each
        // row to one of them only, so every portal gets one logout token per ended session, never two.
        await using var receiver = await LogoutReceiver.StartAsync();
        var settings = await IdentityApiFactory.PostgresSettingsAsync();
        settings["Identity:BackChannelLogoutPollInterval"] = "00:00:00.050";
        var a = new IdentityApiFactory { KeepDatabaseOnDispose = true, Settings = settings };
        using var b = IdentityApiFactory.RestartOf(a, settings);
        using (a)
        {
            var client = await a.Clients.CreateAsync(null, "Portal", ["openid"],
                new ClientRegistrationOptions { RedirectUris = [OidcFlow.RedirectUri], BackChannelLogoutUri = receiver.Url + "/pg" });
            _ = b.Services;
            var store = a.Services.GetRequiredService<SessionStore>();
            var now = DateTimeOffset.UtcNow;
            var sessions = Enumerable.Range(0, 40).Select(i => new SessionRow($"sid-{i:D2}-{Guid.NewGuid():N}", "subject-" + i, now, IdentityConstants.AcrPassword,
                ["pwd"], [], now.AddHours(1), null)).ToList();
            foreach (var session in sessions)
            {
                await store.AddSessionAsync(session with { Clients = [client.ClientId] }, CancellationToken.None);
            }

            await Task.WhenAll(sessions.Select(session => store.EndSessionAsync(session.SessionId, a.Issuer!, now, now.AddDays(1), CancellationToken.None)));
            await receiver.WaitForAsync(sessions.Count, Wait);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var sids = receiver.Received.Select(r => new JsonWebToken(r.LogoutToken).GetClaim("sid").Value).ToList();
        Assert.Equal(40, sids.Count);
        Assert.Equal(40, sids.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(await b.Services.GetRequiredService<SessionStore>().ListLogoutDeliveriesAsync(CancellationToken.None));
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
