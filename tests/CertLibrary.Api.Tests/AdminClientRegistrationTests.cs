using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CertLibrary.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary><c>POST /api/v1/admin/clients</c> for portal (authorization code) clients, and its URI rules.</summary>
public sealed class AdminClientRegistrationTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new()
    {
        Settings = new Dictionary<string, string>
        {
            ["CERTLIB_ADMIN_CLIENT_ID"] = "bootstrap-admin",
            ["CERTLIB_ADMIN_CLIENT_SECRET"] = "bootstrap-admin-secret-0123456789",
        },
    };

    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        await _factory.SeedAsync();
        _admin = _factory.CreateClient();
        _admin.DefaultRequestHeaders.Authorization = new("Bearer",
            await ApiFactory.TokenAsync(_admin, new("bootstrap-admin", "bootstrap-admin-secret-0123456789")));
    }

    public Task DisposeAsync()
    {
        _admin.Dispose();
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Portal_Confidential_SecretShownOnce_ListedWithUrisNeverTheSecret()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", new
        {
            name = "市民服务门户",
            scopes = new[] { "openid", "profile", "offline_access", "certlib.citizen_id" },
            redirectUris = new[] { "https://portal.example.gov.cn/signin-oidc" },
            postLogoutRedirectUris = new[] { "https://portal.example.gov.cn/" },
            backChannelLogoutUri = "https://portal.example.gov.cn/backchannel-logout",
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await ApiFactory.JsonAsync(response);
        var clientId = created.GetProperty("clientId").GetString()!;
        var secret = created.GetProperty("clientSecret").GetString()!;
        Assert.Equal("confidential", created.GetProperty("clientType").GetString());
        using var listResponse = await _admin.GetAsync("/api/v1/admin/clients");
        var listedText = await listResponse.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listedText, StringComparison.Ordinal);
        Assert.DoesNotContain("clientSecret", listedText, StringComparison.OrdinalIgnoreCase);
        var listed = JsonDocument.Parse(listedText).RootElement.EnumerateArray().Single(c => c.GetProperty("clientId").GetString() == clientId);
        Assert.Equal("https://portal.example.gov.cn/signin-oidc", listed.GetProperty("redirectUris")[0].GetString());
        Assert.Equal("https://portal.example.gov.cn/", listed.GetProperty("postLogoutRedirectUris")[0].GetString());
        Assert.Equal("https://portal.example.gov.cn/backchannel-logout", listed.GetProperty("backChannelLogoutUri").GetString());
        var stored = await _factory.Services.GetRequiredService<ClientManager>().FindAsync(clientId);
        Assert.Equal("https://portal.example.gov.cn/backchannel-logout", stored!.BackChannelLogoutUri);
        Assert.False(stored.IsPublic);
        Assert.NotNull(await _factory.Services.GetRequiredService<ClientManager>().AuthenticateAsync(clientId, secret));
    }

    [Fact]
    public async Task Portal_Public_NoSecret_ListedAsPublic()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", new
        {
            name = "掌上办 App",
            scopes = new[] { "openid", "profile" },
            redirectUris = new[] { "https://app.example.gov.cn/callback" },
            clientType = "public",
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await ApiFactory.JsonAsync(response);
        Assert.False(created.TryGetProperty("clientSecret", out _));
        Assert.Equal("public", created.GetProperty("clientType").GetString());
        var stored = await _factory.Services.GetRequiredService<ClientManager>().FindAsync(created.GetProperty("clientId").GetString()!);
        Assert.True(stored!.IsPublic);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/callback")]
    [InlineData("http://localhost/callback")]
    [InlineData("http://[::1]:5000/callback")]
    [InlineData("https://portal.example.gov.cn/callback?tenant=1")]
    public async Task Portal_LoopbackHttpOrHttps_Accepted(string uri)
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", Portal(redirectUris: [uri]));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("http://portal.example.gov.cn/callback", "must use https")]
    [InlineData("https://portal.example.gov.cn/callback#token", "fragment")]
    [InlineData("https://portal.example.gov.cn/callback#", "fragment")]
    [InlineData("https://*.example.gov.cn/callback", "Wildcards")]
    [InlineData("https://portal.example.gov.cn/*", "Wildcards")]
    [InlineData("/callback", "absolute")]
    [InlineData("portal.example.gov.cn/callback", "absolute")]
    [InlineData("https://user:password@portal.example.gov.cn/callback", "user information")]
    [InlineData("https://portal.example.gov.cn/call back", "white space")]
    [InlineData("javascript:alert(1)", "absolute")]
    public async Task Portal_BadRedirectUri_400NamingTheEntry_NothingCreated(string uri, string reason)
    {
        var before = await CountAsync();

        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", Portal(redirectUris: ["https://ok.example.gov.cn/callback", uri]));

        var errors = await ValidationErrorsAsync(response);
        Assert.Contains(reason, Assert.Single(errors, e => e.Key == "redirectUris[1]").Value, StringComparison.Ordinal);
        Assert.DoesNotContain(errors, e => e.Key == "redirectUris[0]");
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Portal_BadPostLogoutRedirectUri_400NamingTheEntry()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", Portal(postLogoutRedirectUris: ["http://portal.example.gov.cn/"]));

        Assert.Contains(await ValidationErrorsAsync(response), e => e.Key == "postLogoutRedirectUris[0]");
    }

    [Theory]
    [InlineData("https://portal.example.gov.cn/logout#x")]
    [InlineData("http://portal.example.gov.cn/logout")]
    [InlineData("https://*.example.gov.cn/logout")]
    public async Task Portal_BadBackChannelLogoutUri_400NamingTheField(string uri)
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", Portal(backChannelLogoutUri: uri));

        Assert.Contains(await ValidationErrorsAsync(response), e => e.Key == "backChannelLogoutUri");
    }

    [Fact]
    public async Task Portal_WithoutRedirectUris_400()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", new
        {
            name = "门户",
            scopes = new[] { "openid" },
            postLogoutRedirectUris = new[] { "https://portal.example.gov.cn/" },
        });

        Assert.Contains(await ValidationErrorsAsync(response), e => e.Key == "redirectUris");
    }

    [Theory]
    [InlineData("profile")] // no openid
    [InlineData("openid certlib.issue")] // a department scope on a portal client
    [InlineData("openid email")] // unknown
    public async Task Portal_BadScopes_400NamingScopes(string scopes)
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", Portal(scopes: scopes.Split(' ')));

        Assert.Contains(await ValidationErrorsAsync(response), e => e.Key == "scopes");
    }

    [Fact]
    public async Task Portal_UnknownClientType_400NamingClientType()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients", new
        {
            name = "门户",
            scopes = new[] { "openid" },
            redirectUris = new[] { "https://portal.example.gov.cn/callback" },
            clientType = "spa",
        });

        Assert.Contains(await ValidationErrorsAsync(response), e => e.Key == "clientType");
    }

    [Fact]
    public async Task Department_WithoutPortalFields_StillCreatedWithSecret()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/admin/clients",
            new { departmentCode = ApiFactory.CivilAffairs, name = "民政部", scopes = new[] { "certlib.issue" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await ApiFactory.JsonAsync(response);
        Assert.False(string.IsNullOrEmpty(created.GetProperty("clientSecret").GetString()));
        Assert.Equal("confidential", created.GetProperty("clientType").GetString());
    }

    private static object Portal(string[]? redirectUris = null, string[]? postLogoutRedirectUris = null, string? backChannelLogoutUri = null, string[]? scopes = null) => new
    {
        name = "门户",
        scopes = scopes ?? ["openid", "profile"],
        redirectUris = redirectUris ?? ["https://portal.example.gov.cn/callback"],
        postLogoutRedirectUris,
        backChannelLogoutUri,
    };

    private async Task<int> CountAsync() => (await ApiFactory.JsonAsync(await _admin.GetAsync("/api/v1/admin/clients"))).GetArrayLength();

    private static async Task<Dictionary<string, string>> ValidationErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ApiFactory.JsonAsync(response);
        Assert.Equal("urn:certlib:problem:validation", problem.GetProperty("type").GetString());
        return problem.GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => string.Join(' ', p.Value.EnumerateArray().Select(v => v.GetString())));
    }
}
