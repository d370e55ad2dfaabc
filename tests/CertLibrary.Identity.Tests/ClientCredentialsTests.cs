using System.Net;
using System.Net.Http.Headers;
using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity.Tests;

public sealed class ClientCredentialsTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task Token_ClientSecretBasic_IssuesRfc9068AccessToken()
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();

        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, client, "certlib.issue");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await IdentityApiFactory.JsonAsync(response);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.InRange(body.GetProperty("expires_in").GetInt32(), 598, 600); // counted from issuance, rounded down
        var jwt = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal("ES256", jwt.Alg);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        Assert.Equal(factory.Issuer, jwt.Issuer);
        Assert.Equal(["certlib-api"], jwt.Audiences);
        Assert.Equal(client.ClientId, jwt.Subject);
        Assert.Equal(client.ClientId, jwt.GetClaim("client_id").Value);
        Assert.Equal("certlib.issue", jwt.GetClaim("scope").Value);
        Assert.Equal("11100000000013338W", jwt.GetClaim("department").Value);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.Equal(TimeSpan.FromMinutes(10), jwt.ValidTo - jwt.IssuedAt);
    }

    [Fact]
    public async Task Token_ClientSecretPost_IssuesAllAllowedScopesWhenNoneRequested()
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await IdentityApiFactory.JsonAsync(response);
        Assert.Equal("certlib.issue certlib.use", body.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Token_Response_IsNotCachedAndHasNoRefreshToken()
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();

        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, client);

        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await IdentityApiFactory.JsonAsync(response);
        Assert.False(body.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task Token_ValidatesAgainstDiscoveryAndJwks()
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();
        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, client);
        var token = (await IdentityApiFactory.JsonAsync(response)).GetProperty("access_token").GetString();

        var discovery = await IdentityApiFactory.JsonAsync(await http.GetAsync("/.well-known/openid-configuration"));
        var jwksUri = new Uri(discovery.GetProperty("jwks_uri").GetString()!);
        var jwks = new JsonWebKeySet(await http.GetStringAsync(jwksUri.PathAndQuery));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = discovery.GetProperty("issuer").GetString(),
            ValidAudience = "certlib-api",
            ValidTypes = ["at+jwt"],
            ValidAlgorithms = ["ES256"],
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("/.well-known/openid-configuration/jwks", jwksUri.AbsolutePath);
    }

    [Fact]
    public async Task Token_WrongSecret_InvalidClient401WithWwwAuthenticate()
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();

        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, client with { ClientSecret = client.ClientSecret + "x" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
        Assert.Equal("invalid_client", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_UnknownClient_InvalidClient()
    {
        using var http = factory.CreateClient();

        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, new ClientCredentials("nobody", "secret"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_TwoAuthenticationMethods_InvalidRequest()
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = client.ClientId,
                ["client_secret"] = client.ClientSecret,
            }),
        };
        request.Headers.Authorization = IdentityApiFactory.Basic(client.ClientId, client.ClientSecret);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_ScopeTheClientLacks_InvalidScope()
    {
        var client = await factory.CreateDepartmentClientAsync(IdentityConstants.UseScope);
        using var http = factory.CreateClient();

        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, client, "certlib.use certlib.admin");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_scope", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("password")]
    [InlineData("implicit")]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code")]
    public async Task Token_PasswordOrImplicitGrant_UnsupportedGrantType(string grantType)
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = grantType,
                ["username"] = "11010519491231002X",
                ["password"] = "whatever1",
            }),
        };
        request.Headers.Authorization = IdentityApiFactory.Basic(client.ClientId, client.ClientSecret);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_DuplicatedParameter_InvalidRequest()
    {
        var client = await factory.CreateDepartmentClientAsync();
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new StringContent("grant_type=client_credentials&scope=certlib.use&scope=certlib.issue", new MediaTypeHeaderValue("application/x-www-form-urlencoded")),
        };
        request.Headers.Authorization = IdentityApiFactory.Basic(client.ClientId, client.ClientSecret);

        using var response = await http.SendAsync(request);

        Assert.Equal("invalid_request", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task AdminBootstrap_ConfiguredCredentials_GetAdminToken()
    {
        using var http = factory.CreateClient();

        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http,
            new ClientCredentials(IdentityApiFactory.AdminClientId, IdentityApiFactory.AdminClientSecret), "certlib.admin");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jwt = new JsonWebToken((await IdentityApiFactory.JsonAsync(response)).GetProperty("access_token").GetString());
        Assert.Null(jwt.Claims.FirstOrDefault(c => c.Type == "department"));
    }

    [Fact]
    public async Task EnsureAdminClient_NewSecret_OldSecretStopsWorking()
    {
        await factory.Clients.EnsureAdminClientAsync("rotating-admin", "first-secret-0123456789");
        await factory.Clients.EnsureAdminClientAsync("rotating-admin", "second-secret-0123456789");
        using var http = factory.CreateClient();

        using var old = await IdentityApiFactory.RequestClientCredentialsAsync(http, new ClientCredentials("rotating-admin", "first-secret-0123456789"));
        using var current = await IdentityApiFactory.RequestClientCredentialsAsync(http, new ClientCredentials("rotating-admin", "second-secret-0123456789"));

        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    [Fact]
    public async Task CreateClient_SecretIsStoredOnlyAsHash()
    {
        var client = await factory.CreateDepartmentClientAsync();
        var database = factory.Services.GetRequiredService<ICertLibraryDatabase>();
        await using var connection = await database.OpenConnectionAsync(default);

        var stored = await connection.QuerySingleAsync<string>("SELECT secret_hash FROM identity_clients WHERE client_id = @id", new { id = client.ClientId });

        Assert.NotEqual(client.ClientSecret, stored);
        Assert.DoesNotContain(client.ClientSecret, stored, StringComparison.Ordinal);
        Assert.True(Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder.Decode(client.ClientSecret).Length >= 32);
    }

    [Fact]
    public async Task CreateClient_UnknownScope_Throws()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => factory.Clients.CreateAsync(null, "x", ["certlib.everything"]));
        Assert.Equal("scopes", error.ParamName);
    }

    [Fact]
    public async Task CreateClient_InvalidDepartmentCode_Throws()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => factory.Clients.CreateAsync("91350100M000100Y44", "x", ["certlib.use"]));
        Assert.Equal("departmentCode", error.ParamName);
    }

    [Fact]
    public async Task ListClients_IncludesCreatedClientWithoutSecret()
    {
        var client = await factory.CreateDepartmentClientAsync();

        var clients = await factory.Clients.ListAsync();

        var listed = Assert.Single(clients, c => c.ClientId == client.ClientId);
        Assert.Equal("11100000000013338W", listed.DepartmentCode);
        Assert.Equal(["certlib.issue", "certlib.use"], listed.Scopes);
    }
}
