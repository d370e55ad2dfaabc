using System.Net;
using System.Net.Http.Json;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// Introspection (RFC 7662) tells who holds a token and what it may do: only clients registered as resource servers may
/// ask. Any other client, the token's own portal included, gets 403 unauthorized_client and learns nothing.
/// </summary>
public sealed class IntrospectionAccessTests
{
    private const string Department = "11100000000013338W";

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Introspect_OnlyResourceServers_Others403UnauthorizedClient(string store)
    {
        using var factory = new IdentityApiFactory { Settings = store == "sqlite" ? [] : await IdentityApiFactory.PostgresSettingsAsync() };
        using var flow = await OidcFlow.CreateAsync(factory, resourceServer: false);
        var access = (await flow.TokensAsync()).GetProperty("access_token").GetString()!;
        var department = await factory.CreateDepartmentClientAsync();
        var resourceServer = await factory.Clients.CreateAsync(Department, "Resource server", [IdentityConstants.UseScope],
            new ClientRegistrationOptions { IsResourceServer = true });

        using var byDepartment = await flow.BackChannelAsync("/connect/introspect", new() { ["token"] = access }, department);
        using var byPortal = await flow.BackChannelAsync("/connect/introspect", new() { ["token"] = access });
        using var byResourceServer = await flow.BackChannelAsync("/connect/introspect", new() { ["token"] = access }, resourceServer);

        foreach (var refused in new[] { byDepartment, byPortal })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var text = await refused.Content.ReadAsStringAsync();
            Assert.Equal("unauthorized_client", (await IdentityApiFactory.JsonAsync(refused)).GetProperty("error").GetString());
            Assert.DoesNotContain(flow.Subject, text, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, byResourceServer.StatusCode);
        var answer = await IdentityApiFactory.JsonAsync(byResourceServer);
        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal(flow.Subject, answer.GetProperty("sub").GetString());
        Assert.True((await factory.Clients.FindAsync(resourceServer.ClientId))!.IsResourceServer);
        Assert.False((await factory.Clients.FindAsync(flow.Client.ClientId))!.IsResourceServer);
    }

    [Fact]
    public async Task AdminApi_ResourceServerFlag_SetAtRegistrationAndUpdate_RefusedForPublicClient()
    {
        using var factory = new IdentityApiFactory();
        using var admin = await factory.CreateAdminClientAsync();
        using var flow = await OidcFlow.CreateAsync(factory, resourceServer: false);
        var access = (await flow.TokensAsync()).GetProperty("access_token").GetString()!;
        var department = await factory.CreateDepartmentClientAsync();

        using var created = await admin.PostAsJsonAsync("/api/v1/admin/clients", new
        {
            name = "Portal backend", scopes = new[] { "openid" }, redirectUris = new[] { "https://rs.test/cb" }, resourceServer = true,
        });
        using var publicClient = await admin.PostAsJsonAsync("/api/v1/admin/clients", new
        {
            name = "App", scopes = new[] { "openid" }, redirectUris = new[] { "https://app.test/cb" }, clientType = "public", resourceServer = true,
        });
        using var before = await flow.BackChannelAsync("/connect/introspect", new() { ["token"] = access }, department);
        using var updated = await admin.PutAsJsonAsync($"/api/v1/admin/clients/{department.ClientId}", new { resourceServer = true });
        using var after = await flow.BackChannelAsync("/connect/introspect", new() { ["token"] = access }, department);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdId = (await IdentityApiFactory.JsonAsync(created)).GetProperty("clientId").GetString()!;
        using var read = await admin.GetAsync($"/api/v1/admin/clients/{createdId}");
        Assert.True((await IdentityApiFactory.JsonAsync(read)).GetProperty("resourceServer").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, publicClient.StatusCode);
        Assert.True((await IdentityApiFactory.JsonAsync(publicClient)).GetProperty("errors").TryGetProperty("resourceServer", out _));
        Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.True((await IdentityApiFactory.JsonAsync(updated)).GetProperty("resourceServer").GetBoolean());
        Assert.True((await IdentityApiFactory.JsonAsync(after)).GetProperty("active").GetBoolean());
    }
}
