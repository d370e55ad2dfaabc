using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Identity.Tests;

/// <summary>npm openid-client v6 (a relying party nobody here wrote) against the provider on a real loopback Kestrel.</summary>
public sealed class OpenIdClientInteropTests
{
    [Fact]
    public async Task OpenIdClient_CodePkceUserInfoRefreshIntrospectRevokeClientCredentials_Interoperate()
    {
        var interop = InteropFolder();
        using var factory = new IdentityApiFactory { Issuer = null };
        var address = StartOnLoopback(factory);
        var redirect = "http://127.0.0.1/callback";
        var portal = await factory.Clients.CreateAsync(null, "Interop portal", ["openid", "profile", "offline_access"],
            new ClientRegistrationOptions { RedirectUris = [redirect], IsResourceServer = true }); // the script introspects its token
        var department = await factory.CreateDepartmentClientAsync(IdentityConstants.UseScope);
        var id = Identifiers.CitizenId.Create("110105", new DateOnly(1985, 5, 5), 123);
        var citizen = await factory.Citizens.RegisterAsync(id, "李四", "interop password 1");

        var start = new ProcessStartInfo("node", "oidc-interop.mjs") { WorkingDirectory = interop, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ISSUER"] = address;
        start.Environment["PORTAL_ID"] = portal.ClientId;
        start.Environment["PORTAL_SECRET"] = portal.ClientSecret;
        start.Environment["REDIRECT_URI"] = redirect;
        start.Environment["DEPT_ID"] = department.ClientId;
        start.Environment["DEPT_SECRET"] = department.ClientSecret;
        start.Environment["ID_NUMBER"] = id.ToString();
        start.Environment["PASSWORD"] = "interop password 1";
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(node.ExitCode == 0, await stderr);
        var result = JsonDocument.Parse(await stdout).RootElement;
        Assert.Equal(citizen.Citizen!.Subject, result.GetProperty("sub").GetString());
        Assert.True(result.GetProperty("nonceMatches").GetBoolean());
        Assert.Equal(IdentityConstants.AcrPassword, result.GetProperty("acr").GetString());
        Assert.Equal(["pwd"], result.GetProperty("amr").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("李四", result.GetProperty("userinfoName").GetString());
        Assert.True(result.GetProperty("refreshRotated").GetBoolean());
        Assert.True(result.GetProperty("introspectActive").GetBoolean());
        Assert.False(result.GetProperty("introspectAfterRevoke").GetBoolean());
        Assert.Equal("invalid_grant", result.GetProperty("refreshAfterRevoke").GetString());
        Assert.Equal("certlib.use", result.GetProperty("clientCredentialsScope").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("clientCredentialsRefresh").ValueKind);
    }

    [Fact]
    public async Task OpenIdClient_PushedAuthorizationRequest_SignsInAndPlainRequestRefusedForClientRequiringIt()
    {
        var interop = InteropFolder();
        using var factory = new IdentityApiFactory { Issuer = null };
        var address = StartOnLoopback(factory);
        const string redirect = "http://127.0.0.1/par-callback";
        var portal = await factory.Clients.CreateAsync(null, "PAR portal", ["openid", "profile"],
            new ClientRegistrationOptions { RedirectUris = [redirect], RequirePushedAuthorization = true });
        var id = Identifiers.CitizenId.Create("110105", new DateOnly(1986, 6, 6), 321);
        var citizen = await factory.Citizens.RegisterAsync(id, "王五", "interop password 2");

        var start = new ProcessStartInfo("node", "oidc-par.mjs") { WorkingDirectory = interop, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ISSUER"] = address;
        start.Environment["CLIENT_ID"] = portal.ClientId;
        start.Environment["CLIENT_SECRET"] = portal.ClientSecret;
        start.Environment["REDIRECT_URI"] = redirect;
        start.Environment["ID_NUMBER"] = id.ToString();
        start.Environment["PASSWORD"] = "interop password 2";
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(node.ExitCode == 0, await stderr);
        var result = JsonDocument.Parse(await stdout).RootElement;
        Assert.True(result.GetProperty("parAdvertised").GetBoolean());
        Assert.False(result.GetProperty("plainGotCode").GetBoolean());
        Assert.Equal("client_id request_uri", result.GetProperty("onlyRequestUri").GetString());
        Assert.Equal(citizen.Citizen!.Subject, result.GetProperty("sub").GetString());
    }

    private static string InteropFolder()
    {
        var interop = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../interop"));
        Assert.True(Directory.Exists(Path.Combine(interop, "node_modules", "openid-client")), "run `npm ci` in tests/interop");
        return interop;
    }

    /// <summary>Starts the provider on a real loopback Kestrel (openid-client needs a socket) and returns its base address.</summary>
    private static string StartOnLoopback(IdentityApiFactory factory)
    {
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        return factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }
}
