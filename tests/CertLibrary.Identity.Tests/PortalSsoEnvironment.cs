using System.Net;
using System.Net.Sockets;
using CertLibrary.Identifiers;
using CertLibrary.PortalSample;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// The provider on a real Kestrel (reached as <c>localhost</c>) and the sample portal running twice (社保 and 住房, on
/// <c>127.0.0.1</c>, so the portals and the provider are different sites as in production), both registered with
/// redirect, post-logout and back-channel logout URIs; one citizen.
/// </summary>
public sealed class PortalSsoEnvironment : IAsyncLifetime
{
    public const string Password = "sso password 2026";
    public const string CitizenName = "王小明";

    public IdentityApiFactory Provider { get; } = new() { Issuer = null };

    public string Authority { get; private set; } = string.Empty;

    public Portal Shebao { get; private set; } = null!;

    public Portal Zhufang { get; private set; } = null!;

    public CitizenId CitizenId { get; } = CitizenId.Create("110105", new DateOnly(1988, 8, 8), 321);

    public string Subject { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        Provider.UseKestrel(o => o.ListenLocalhost(port));
        Provider.StartServer();
        Authority = $"http://localhost:{port}";
        Shebao = await StartPortalAsync("社会保障服务门户", "portal-shebao");
        Zhufang = await StartPortalAsync("住房保障服务门户", "portal-zhufang");
        Subject = (await Provider.Citizens.RegisterAsync(CitizenId, CitizenName, Password)).Citizen!.Subject;
    }

    public async Task DisposeAsync()
    {
        foreach (var portal in new[] { Shebao, Zhufang })
        {
            if (portal is not null)
            {
                await portal.App.DisposeAsync();
            }
        }

        Provider.Dispose();
    }

    private async Task<Portal> StartPortalAsync(string name, string clientId)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var credentials = await Provider.Clients.CreateAsync(null, name, [IdentityConstants.OpenIdScope, IdentityConstants.ProfileScope], new ClientRegistrationOptions
        {
            ClientId = clientId,
            RedirectUris = [url + "/signin-oidc"],
            PostLogoutRedirectUris = [url + "/signed-out"],
            BackChannelLogoutUri = url + "/signout-backchannel",
        });
        var app = PortalApplication.Create([], builder =>
        {
            builder.WebHost.UseUrls(url);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Portal:Name"] = name,
                ["Portal:Authority"] = Authority,
                ["Portal:ClientId"] = credentials.ClientId,
                ["Portal:ClientSecret"] = credentials.ClientSecret,
            });
        });
        await app.StartAsync();
        return new Portal(url, clientId, app);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One running portal.</summary>
public sealed record Portal(string Url, string ClientId, WebApplication App);
