namespace CertLibrary.Identity.Tests;

/// <summary><see cref="ClientManager.EnsureClientAsync"/>: the start-up registration of the platform's own portals.</summary>
public sealed class PlatformClientTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task EnsureClient_Twice_UpdatesSecretAndRedirectUris()
    {
        var id = "portal-" + Guid.NewGuid().ToString("N")[..8];
        await factory.Clients.EnsureClientAsync(id, new string('a', 43), "门户", ["openid"],
            new ClientRegistrationOptions { RedirectUris = ["http://localhost:5000/portal/callback"], PostLogoutRedirectUris = ["http://localhost:5000/portal/"] });

        await factory.Clients.EnsureClientAsync(id, new string('b', 43), "我的电子证照", ["openid", "profile"],
            new ClientRegistrationOptions { RedirectUris = ["https://certlib.example.gov.cn/portal/callback"], PostLogoutRedirectUris = ["https://certlib.example.gov.cn/portal/"] });

        var client = await factory.Clients.FindAsync(id);
        Assert.NotNull(client);
        Assert.Equal("我的电子证照", client.Name);
        Assert.Equal(["openid", "profile"], client.Scopes);
        Assert.Equal(["https://certlib.example.gov.cn/portal/callback"], client.RedirectUris);
        Assert.Equal(["https://certlib.example.gov.cn/portal/"], client.PostLogoutRedirectUris);
        Assert.Null(await factory.Clients.AuthenticateAsync(id, new string('a', 43)));
        Assert.NotNull(await factory.Clients.AuthenticateAsync(id, new string('b', 43)));
    }

    [Theory]
    [InlineData("http://portal.example/callback", "a-long-enough-secret-0123456789-abcdef")]
    [InlineData("https://portal.example/callback#x", "a-long-enough-secret-0123456789-abcdef")]
    [InlineData("https://portal.example/callback", "short")]
    public async Task EnsureClient_BadRedirectOrShortSecret_ThrowsAndRegistersNothing(string redirect, string secret)
    {
        var id = "portal-" + Guid.NewGuid().ToString("N")[..8];

        await Assert.ThrowsAsync<ArgumentException>(() => factory.Clients.EnsureClientAsync(id, secret, "门户", ["openid"],
            new ClientRegistrationOptions { RedirectUris = [redirect] }));

        Assert.Null(await factory.Clients.FindAsync(id));
    }
}
