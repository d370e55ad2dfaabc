using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CertLibrary.Identity.Tests;

/// <summary><c>GET/PUT/DELETE /api/v1/admin/clients/{clientId}</c> and secret rotation.</summary>
public sealed class AdminClientManagementTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task Get_PortalClient_UrisWithoutSecret()
    {
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: "https://portal.test/logout");
        using var admin = await factory.CreateAdminClientAsync();

        using var response = await admin.GetAsync($"/api/v1/admin/clients/{flow.Client.ClientId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(flow.Client.ClientSecret, text, StringComparison.Ordinal);
        var client = JsonDocument.Parse(text).RootElement;
        Assert.Equal(OidcFlow.RedirectUri, client.GetProperty("redirectUris")[0].GetString());
        Assert.Equal("https://portal.test/logout", client.GetProperty("backChannelLogoutUri").GetString());
    }

    [Fact]
    public async Task UnknownClient_EveryVerb_404ProblemDetails()
    {
        using var admin = await factory.CreateAdminClientAsync();
        using var get = await admin.GetAsync("/api/v1/admin/clients/cl_unknown");
        using var put = await admin.PutAsJsonAsync("/api/v1/admin/clients/cl_unknown", new { redirectUris = new[] { "https://a.test/cb" } });
        using var rotate = await admin.PostAsync("/api/v1/admin/clients/cl_unknown/secret", null);
        using var delete = await admin.DeleteAsync("/api/v1/admin/clients/cl_unknown");

        foreach (var response in new[] { get, put, rotate, delete })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Put_NewUris_ReplaceTheOldOnes_ExactMatchFollows()
    {
        using var flow = await OidcFlow.CreateAsync(factory, backChannelLogoutUri: "https://portal.test/logout");
        using var admin = await factory.CreateAdminClientAsync();

        using var response = await admin.PutAsJsonAsync($"/api/v1/admin/clients/{flow.Client.ClientId}", new
        {
            name = "新门户",
            redirectUris = new[] { "https://new-portal.test/callback" },
            postLogoutRedirectUris = new[] { "https://new-portal.test/" },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await factory.Clients.FindAsync(flow.Client.ClientId);
        Assert.Equal("新门户", stored!.Name);
        Assert.Equal(["https://new-portal.test/callback"], stored.RedirectUris);
        Assert.Equal(["https://new-portal.test/"], stored.PostLogoutRedirectUris);
        Assert.Null(stored.BackChannelLogoutUri);
        using var oldRedirect = await flow.Browser.GetAsync(flow.AuthorizeUrl());
        Assert.Null(oldRedirect.Headers.Location);
        Assert.Equal(HttpStatusCode.BadRequest, oldRedirect.StatusCode);
    }

    [Theory]
    [InlineData("{\"redirectUris\":[\"http://portal.example.com/cb\"]}", "redirectUris[0]")]
    [InlineData("{\"redirectUris\":[\"https://portal.test/cb#frag\"]}", "redirectUris[0]")]
    [InlineData("{\"redirectUris\":[\"https://*.portal.test/cb\"]}", "redirectUris[0]")]
    [InlineData("{\"redirectUris\":[\"/relative\"]}", "redirectUris[0]")]
    [InlineData("{\"redirectUris\":[]}", "redirectUris")]
    [InlineData("{\"redirectUris\":[\"https://portal.test/cb\"],\"postLogoutRedirectUris\":[\"https://user:pw@portal.test/\"]}", "postLogoutRedirectUris[0]")]
    [InlineData("{\"redirectUris\":[\"https://portal.test/cb\"],\"backChannelLogoutUri\":\"http://10.0.0.1/logout\"}", "backChannelLogoutUri")]
    [InlineData("{\"name\":\"\",\"redirectUris\":[\"https://portal.test/cb\"]}", "name")]
    public async Task Put_BadInput_400NamingTheField_NothingChanged(string body, string field)
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        using var admin = await factory.CreateAdminClientAsync();

        using var response = await admin.PutAsync($"/api/v1/admin/clients/{flow.Client.ClientId}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await IdentityApiFactory.JsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal([OidcFlow.RedirectUri], (await factory.Clients.FindAsync(flow.Client.ClientId))!.RedirectUris);
    }

    [Fact]
    public async Task Put_DepartmentClientWithUris_400_NameAloneAccepted()
    {
        var department = await factory.CreateDepartmentClientAsync();
        using var admin = await factory.CreateAdminClientAsync();

        using var withUris = await admin.PutAsJsonAsync($"/api/v1/admin/clients/{department.ClientId}", new { redirectUris = new[] { "https://a.test/cb" } });
        using var nameOnly = await admin.PutAsJsonAsync($"/api/v1/admin/clients/{department.ClientId}", new { name = "Renamed department" });

        Assert.Equal(HttpStatusCode.BadRequest, withUris.StatusCode);
        Assert.Equal(HttpStatusCode.OK, nameOnly.StatusCode);
        Assert.Equal("Renamed department", (await factory.Clients.FindAsync(department.ClientId))!.Name);
    }

    [Fact]
    public async Task RotateSecret_NewSecretReturnedOnce_OldOneStopsWorking()
    {
        var department = await factory.CreateDepartmentClientAsync();
        using var admin = await factory.CreateAdminClientAsync();

        using var response = await admin.PostAsync($"/api/v1/admin/clients/{department.ClientId}/secret", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var secret = (await IdentityApiFactory.JsonAsync(response)).GetProperty("clientSecret").GetString()!;
        Assert.NotEqual(department.ClientSecret, secret);
        using var http = factory.CreateClient();
        using var old = await IdentityApiFactory.RequestClientCredentialsAsync(http, department);
        using var fresh = await IdentityApiFactory.RequestClientCredentialsAsync(http, new ClientCredentials(department.ClientId, secret));
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        using var listed = await admin.GetAsync($"/api/v1/admin/clients/{department.ClientId}");
        Assert.DoesNotContain(secret, await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateSecret_PublicClient_409ProblemDetails()
    {
        using var flow = await OidcFlow.CreateAsync(factory, publicClient: true);
        using var admin = await factory.CreateAdminClientAsync();

        using var response = await admin.PostAsync($"/api/v1/admin/clients/{flow.Client.ClientId}/secret", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Delete_RevokesRefreshAndAccessTokens_EvenForAClientRecreatedWithTheSameId()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var tokens = await flow.TokensAsync();
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        Assert.True(await flow.IsActiveAsync(refreshToken));
        using var admin = await factory.CreateAdminClientAsync();

        using var response = await admin.DeleteAsync($"/api/v1/admin/clients/{flow.Client.ClientId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var get = await admin.GetAsync($"/api/v1/admin/clients/{flow.Client.ClientId}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        // The same client id registered again (new secret) does not inherit the old grants.
        var again = await factory.Clients.CreateAsync(null, "Portal again", ["openid", "profile", "offline_access"],
            new ClientRegistrationOptions { ClientId = flow.Client.ClientId, RedirectUris = [OidcFlow.RedirectUri] });
        using var refresh = await flow.RefreshAsync(refreshToken, again);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(refresh)).GetProperty("error").GetString());
        using var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", accessToken);
        using var userInfo = await http.GetAsync("/connect/userinfo");
        Assert.Equal(HttpStatusCode.Unauthorized, userInfo.StatusCode);
    }

    [Fact]
    public async Task Delete_TheCallingClientItself_409()
    {
        using var admin = await factory.CreateAdminClientAsync();

        using var response = await admin.DeleteAsync($"/api/v1/admin/clients/{IdentityApiFactory.AdminClientId}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.NotNull(await factory.Clients.FindAsync(IdentityApiFactory.AdminClientId));
    }
}
