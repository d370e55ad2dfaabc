using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Identity.Tests;

/// <summary>The enrolment and code pages in real headless Chromium on a phone-sized screen, against a loopback Kestrel.</summary>
public sealed class TotpBrowserTests
{
    [Fact]
    public async Task Chromium_PhoneEnrolsByQrAndNextSignInAsksForTheCode()
    {
        var interop = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../interop"));
        Assert.True(Directory.Exists(Path.Combine(interop, "node_modules", "playwright-core")), "run `npm ci` in tests/interop");
        Assert.True(File.Exists("/usr/bin/chromium"), "Chromium is needed at /usr/bin/chromium (scripts/test.sh installs it)");
        using var factory = new IdentityApiFactory { Issuer = null };
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        // The "portal" is a path on the same loopback server (it answers 404; the browser's address is what counts).
        var redirect = address + "/portal/callback";
        var client = await factory.Clients.CreateAsync(null, "Phone portal", ["openid", "profile"], new ClientRegistrationOptions { RedirectUris = [redirect] });
        var citizenId = Identifiers.CitizenId.Create("110105", new DateOnly(1990, 3, 3), System.Security.Cryptography.RandomNumberGenerator.GetInt32(1000));
        var subject = (await factory.Citizens.RegisterAsync(citizenId, "张三", OidcFlow.Password)).Citizen!.Subject;
        var authorize = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = client.ClientId,
            ["redirect_uri"] = redirect,
            ["response_type"] = "code",
            ["scope"] = "openid profile",
            ["state"] = "s",
            ["code_challenge"] = OidcFlow.Challenge(OidcFlow.NewVerifier()),
            ["code_challenge_method"] = "S256",
        });

        var start = new ProcessStartInfo("node", "totp-browser.mjs") { WorkingDirectory = interop, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["BASE"] = address;
        start.Environment["AUTHORIZE_PATH"] = authorize;
        start.Environment["REDIRECT_URI"] = redirect;
        start.Environment["ID_NUMBER"] = citizenId.ToString();
        start.Environment["PASSWORD"] = OidcFlow.Password;
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(node.ExitCode == 0, await stderr);
        var result = JsonDocument.Parse(await stdout).RootElement;
        Assert.True(result.GetProperty("passwordOnlyCode").GetBoolean());
        Assert.Equal("DENY", result.GetProperty("frameOptions").GetString());
        Assert.True(result.GetProperty("fitsPhone").GetBoolean(), "the enrolment page scrolls sideways on a phone");
        Assert.True(result.GetProperty("qrRendered").GetBoolean());
        var qr = result.GetProperty("qrText").GetString()!;
        Assert.StartsWith("otpauth://totp/CertLibrary:", qr, StringComparison.Ordinal);
        Assert.DoesNotContain(citizenId.ToString(), qr, StringComparison.Ordinal);
        Assert.True(result.GetProperty("secretInQr").GetBoolean());
        Assert.True(result.GetProperty("askedForCode").GetBoolean());
        Assert.True(result.GetProperty("codeStepFitsPhone").GetBoolean());
        Assert.True(result.GetProperty("mfaCode").GetBoolean());
        Assert.True((await factory.Citizens.FindBySubjectAsync(subject))!.TotpEnabled);
    }
}
