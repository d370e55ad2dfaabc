using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using CertLibrary.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The API refuses access tokens cut off after they were issued — client deleted, token revoked (RFC 7009), session
/// logged out — with 401 Problem Details: at once on the node that cut them off, within the revocation check interval on
/// another node. Tokens that were not cut off keep working, and a failing check answers 503, never 500.
/// </summary>
public sealed class AccessTokenRevocationApiTests
{
    private const string Lookup = "/api/v1/holders/lookup";
    private const string RedirectUri = CodeFlowSteps.RedirectUri;
    private const string Password = CodeFlowSteps.Password;
    private static readonly object LookupBody = new { idNumber = ApiFactory.HolderNumber, purpose = "婚姻登记核查" };

    [Fact]
    public async Task DeletedClient_ItsClientCredentialsToken_401ProblemAtOnce_OtherClientsUnaffected()
    {
        using var factory = new ApiFactory();
        await factory.StartWithCivilAffairsClientAsync();
        var clients = factory.Services.GetRequiredService<ClientManager>();
        var department = await clients.CreateAsync(ApiFactory.CivilAffairs, "window system", ["certlib.use"]);
        using var http = await BearerAsync(factory, department);
        using var other = await factory.ClientForAsync(ApiFactory.CivilAffairs, "certlib.use");
        using var admin = await factory.ClientForAsync(null, "certlib.admin");
        for (var i = 0; i < 3; i++)
        {
            using var allowed = await http.PostAsJsonAsync(Lookup, LookupBody);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        var introspector = await clients.CreateAsync(ApiFactory.CivilAffairs, "resource server", ["certlib.use"], new ClientRegistrationOptions { IsResourceServer = true });
        var token = http.DefaultRequestHeaders.Authorization!.Parameter!;
        Assert.True(await IsActiveAsync(factory, introspector, token));

        using var deleted = await admin.DeleteAsync($"/api/v1/admin/clients/{department.ClientId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        Assert.False(await IsActiveAsync(factory, introspector, token)); // introspection is live, like the API
        using var refused = await http.PostAsJsonAsync(Lookup, LookupBody);
        await AssertInvalidTokenAsync(refused);
        using var read = await http.GetAsync("/api/v1/certificates/1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y");
        await AssertInvalidTokenAsync(read);
        using var unaffected = await other.PostAsJsonAsync(Lookup, LookupBody);
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);
    }

    [Fact]
    public async Task DeletedClient_OnNodeA_TokenRefusedOnNodeBAfterTheInterval_SameIdRegisteredAgainDoesNotReviveIt()
    {
        using var redis = new RedisServer();
        var timeA = new ShiftedTime();
        var timeB = new ShiftedTime();
        await using var nodes = await TwoNodes.StartAsync(redis, timeA, timeB);
        var clients = nodes.A.Services.GetRequiredService<ClientManager>();
        var department = await clients.CreateAsync(ApiFactory.CivilAffairs, "window system", ["certlib.use"]);
        using var onA = await BearerAsync(nodes.A, department);
        using var onB = Bearer(nodes.B, onA.DefaultRequestHeaders.Authorization!.Parameter!);
        using var secondOnB = Bearer(nodes.B, await ApiFactory.TokenAsync(nodes.A.CreateClient(), department));
        foreach (var http in new[] { onA, onB, secondOnB })
        {
            using var allowed = await http.PostAsJsonAsync(Lookup, LookupBody);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode); // B now holds "not revoked" answers for both tokens
        }

        Assert.True(await clients.DeleteAsync(department.ClientId));
        using (var refusedOnA = await onA.PostAsJsonAsync(Lookup, LookupBody))
        {
            await AssertInvalidTokenAsync(refusedOnA);
        }

        timeB.Advance(TimeSpan.FromSeconds(6)); // past B's 5-second revocation check interval
        using (var refusedOnB = await onB.PostAsJsonAsync(Lookup, LookupBody))
        {
            await AssertInvalidTokenAsync(refusedOnB);
        }

        // The id registered again is a new client: its tokens work on B, the old client's never again.
        timeA.Advance(TimeSpan.FromSeconds(3));
        var again = await clients.CreateAsync(ApiFactory.CivilAffairs, "window system", ["certlib.use"],
            new ClientRegistrationOptions { ClientId = department.ClientId });
        using var newOnB = Bearer(nodes.B, await ApiFactory.TokenAsync(nodes.A.CreateClient(), again));
        using var allowedNew = await newOnB.PostAsJsonAsync(Lookup, LookupBody);
        using var refusedOld = await secondOnB.PostAsJsonAsync(Lookup, LookupBody);
        Assert.Equal(HttpStatusCode.OK, allowedNew.StatusCode);
        await AssertInvalidTokenAsync(refusedOld);
    }

    [Fact]
    public async Task RevokedAccessToken_Rfc7009_401Problem()
    {
        using var factory = new ApiFactory();
        await factory.StartWithCivilAffairsClientAsync();
        var department = await factory.Services.GetRequiredService<ClientManager>().CreateAsync(ApiFactory.CivilAffairs, "window system", ["certlib.use"]);
        using var http = await BearerAsync(factory, department);
        using var sibling = await BearerAsync(factory, department);
        using (var allowed = await http.PostAsJsonAsync(Lookup, LookupBody))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var revocation = new HttpRequestMessage(HttpMethod.Post, "/connect/revocation")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = http.DefaultRequestHeaders.Authorization!.Parameter! }),
        };
        revocation.Headers.Authorization = Basic(department);
        using var revoked = await factory.CreateClient().SendAsync(revocation);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        using var refused = await http.PostAsJsonAsync(Lookup, LookupBody);
        await AssertInvalidTokenAsync(refused);
        using var otherToken = await sibling.PostAsJsonAsync(Lookup, LookupBody); // another token of the same client
        Assert.Equal(HttpStatusCode.OK, otherToken.StatusCode);
    }

    [Fact]
    public async Task Logout_CitizenAccessToken_401AtMeAccessLog()
    {
        using var factory = new ApiFactory();
        _ = factory.Server;
        // A first-party portal (registered like the built-in one), so the citizen API scope needs no consent screen.
        var portal = new ClientCredentials("portal-" + Guid.NewGuid().ToString("N")[..8], Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        await factory.Services.GetRequiredService<ClientManager>().EnsureClientAsync(portal.ClientId, portal.ClientSecret, "Portal",
            ["openid", "profile", IdentityConstants.MeReadScope], new ClientRegistrationOptions { RedirectUris = [RedirectUri] });
        var citizenId = CitizenId.Create("110105", new DateOnly(1980, 1, 1).AddDays(RandomNumberGenerator.GetInt32(9000)), RandomNumberGenerator.GetInt32(1000));
        await factory.Services.GetRequiredService<CitizenManager>().RegisterAsync(citizenId, "王五", Password);
        using var browser = factory.CreateDefaultClient(new Uri("https://localhost"), new CookieContainerHandler(new CookieContainer()));
        var (accessToken, idToken) = await SignInAsync(factory, browser, portal, citizenId);
        using var citizen = Bearer(factory, accessToken);
        using (var allowed = await citizen.GetAsync("/api/v1/me/access-log"))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var logout = await browser.GetAsync(QueryHelpers.AddQueryString("/connect/endsession", "id_token_hint", idToken));
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);

        using var refused = await citizen.GetAsync("/api/v1/me/access-log");
        await AssertInvalidTokenAsync(refused);
    }

    [Fact]
    public async Task RevocationCheck_DatabaseFails_503ProblemNot500_ThenTheTokenWorksAgain()
    {
        using var factory = new ApiFactory();
        using var http = await factory.StartWithCivilAffairsClientAsync();
        await using var connection = new SqliteConnection($"Data Source={factory.DatabasePath}");
        await connection.OpenAsync();

        await ExecuteAsync(connection, "ALTER TABLE identity_revocations RENAME TO identity_revocations_away");
        using var failed = await http.PostAsJsonAsync(Lookup, LookupBody);
        var failedBody = await failed.Content.ReadAsStringAsync();
        await ExecuteAsync(connection, "ALTER TABLE identity_revocations_away RENAME TO identity_revocations");
        using var recovered = await http.PostAsJsonAsync(Lookup, LookupBody);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:certlib:problem:unavailable", JsonDocument.Parse(failedBody).RootElement.GetProperty("type").GetString());
        Assert.NotNull(failed.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    private static async Task AssertInvalidTokenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
    }

    private static async Task<HttpClient> BearerAsync(ApiFactory factory, ClientCredentials credentials)
    {
        using var tokenClient = factory.CreateClient();
        return Bearer(factory, await ApiFactory.TokenAsync(tokenClient, credentials));
    }

    private static HttpClient Bearer(ApiFactory factory, string token)
    {
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>RFC 7662 introspection of <paramref name="token"/> by another client.</summary>
    private static async Task<bool> IsActiveAsync(ApiFactory factory, ClientCredentials introspector, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }),
        };
        request.Headers.Authorization = Basic(introspector);
        using var response = await factory.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("active").GetBoolean();
    }

    private static AuthenticationHeaderValue Basic(ClientCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(credentials.ClientId)}:{Uri.EscapeDataString(credentials.ClientSecret)}")));

    /// <summary>Authorization code + PKCE through the login page; returns the access token and the ID token.</summary>
    private static async Task<(string AccessToken, string IdToken)> SignInAsync(ApiFactory factory, HttpClient browser, ClientCredentials portal, CitizenId citizenId)
    {
        var page = await (await browser.GetAsync(CodeFlowSteps.AuthorizeUrl(portal.ClientId, new() { ["scope"] = "openid profile " + IdentityConstants.MeReadScope })))
            .Content.ReadAsStringAsync();
        using var signedIn = await CodeFlowSteps.SubmitLoginAsync(browser, page, citizenId);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var code = QueryHelpers.ParseQuery(signedIn.Headers.Location!.Query)["code"].ToString();
        using var response = await CodeFlowSteps.RedeemAsync(factory.CreateClient(), portal, code);
        var tokens = await ApiFactory.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (tokens.GetProperty("access_token").GetString()!, tokens.GetProperty("id_token").GetString()!);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The system clock, moved forward on demand (a node that has lived longer, without waiting).</summary>
    private sealed class ShiftedTime : TimeProvider
    {
        private long _shiftTicks;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _shiftTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _shiftTicks));
    }
}
