using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using CertLibrary.Data;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using CertLibrary.Testing;
using Dapper;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The identity provider on two nodes of one PostgreSQL deployment: one browser (one cookie jar) talks to either node,
/// as behind a load balancer. The SSO session, antiforgery tokens and the second-factor ticket written by one node are
/// accepted by the other because the Data Protection key ring lives, encrypted, in the shared database.
/// </summary>
public sealed class TwoNodeIdentityTests
{
    private const string RedirectUri = CodeFlowSteps.RedirectUri;
    private const string Password = CodeFlowSteps.Password;

    [Fact]
    public async Task Identity_TwoNodes_SessionAntiforgeryAndSecondFactorTicketCrossNodes()
    {
        using var redis = new RedisServer();
        await using var nodes = await TwoNodes.StartAsync(redis);
        var client = await nodes.A.Services.GetRequiredService<ClientManager>().CreateAsync(null, "Portal", ["openid", "profile"],
            new ClientRegistrationOptions { RedirectUris = [RedirectUri] });
        var citizenId = CitizenId.Create("110105", new DateOnly(1980, 1, 1).AddDays(RandomNumberGenerator.GetInt32(9000)), RandomNumberGenerator.GetInt32(1000));
        await nodes.A.Services.GetRequiredService<CitizenManager>().RegisterAsync(citizenId, "王五", Password);

        // Log in on A; B answers prompt=none with a code for that session, no login page.
        var cookies = new System.Net.CookieContainer();
        using var onA = Browser(nodes.A, cookies);
        using var onB = Browser(nodes.B, cookies);
        var login = await (await onA.GetAsync(CodeFlowSteps.AuthorizeUrl(client.ClientId))).Content.ReadAsStringAsync();
        using (var signedIn = await CodeFlowSteps.SubmitLoginAsync(onA, login, citizenId))
        {
            Assert.True(Query(signedIn).ContainsKey("code"));
        }

        using var silent = await onB.GetAsync(CodeFlowSteps.AuthorizeUrl(client.ClientId, new() { ["prompt"] = "none" }));
        var code = Query(silent)["code"];
        using var redeemed = await CodeFlowSteps.RedeemAsync(nodes.B.CreateClient(), client, code);
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);

        // A second browser: the login form (antiforgery cookie + token) comes from A and is posted to B.
        var other = new System.Net.CookieContainer();
        using var otherOnA = Browser(nodes.A, other);
        using var otherOnB = Browser(nodes.B, other);
        var form = await (await otherOnA.GetAsync(CodeFlowSteps.AuthorizeUrl(client.ClientId))).Content.ReadAsStringAsync();
        using (var crossed = await CodeFlowSteps.SubmitLoginAsync(otherOnB, form, citizenId))
        {
            Assert.True(Query(crossed).ContainsKey("code"), await crossed.Content.ReadAsStringAsync());
        }

        // Second factor: enrolled on A; the password step answered by A, its ticket and the code checked by B.
        using var enrolPage = await onA.GetAsync("/account/totp");
        var enrolHtml = await enrolPage.Content.ReadAsStringAsync();
        var secret = CertLibrary.Identity.Tests.TotpFlow.SecretShownIn(enrolHtml);
        var step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        using (var enabled = await onB.PostAsync("/account/totp/enable", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = CertLibrary.Identity.Tests.OidcFlow.Field(enrolHtml, "__RequestVerificationToken"),
            ["code"] = Code(secret, step),
            ["password"] = Password,
        })))
        {
            Assert.Contains("id=\"done\"", await enabled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var third = new System.Net.CookieContainer();
        using var thirdOnA = Browser(nodes.A, third);
        using var thirdOnB = Browser(nodes.B, third);
        var page = await (await thirdOnA.GetAsync(CodeFlowSteps.AuthorizeUrl(client.ClientId))).Content.ReadAsStringAsync();
        using var password = await CodeFlowSteps.SubmitLoginAsync(thirdOnA, page, citizenId);
        var codeStep = await password.Content.ReadAsStringAsync();
        using var verified = await thirdOnB.PostAsync("/connect/authorize/otp", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = CertLibrary.Identity.Tests.OidcFlow.Field(codeStep, "__RequestVerificationToken"),
            ["request"] = CertLibrary.Identity.Tests.OidcFlow.Field(codeStep, "request"),
            ["ticket"] = CertLibrary.Identity.Tests.OidcFlow.Field(codeStep, "ticket"),
            ["code"] = Code(secret, step + 1), // the enrolment used this step's code; the next step's is within the window
        }));
        Assert.True(Query(verified).ContainsKey("code"), await verified.Content.ReadAsStringAsync());

        // Lockout on PostgreSQL: five failures spread over both nodes lock the account on both (locked_until is a timestamptz).
        for (var i = 0; i < 5; i++)
        {
            var wrongOn = i % 2 == 0 ? thirdOnA : thirdOnB;
            var form5 = await (await wrongOn.GetAsync(CodeFlowSteps.AuthorizeUrl(client.ClientId, new() { ["prompt"] = "login" }))).Content.ReadAsStringAsync();
            using var failed = await CodeFlowSteps.SubmitLoginAsync(wrongOn, form5, citizenId, "wrong password");
            Assert.Null(failed.Headers.Location);
        }

        var lockedForm = await (await thirdOnB.GetAsync(CodeFlowSteps.AuthorizeUrl(client.ClientId, new() { ["prompt"] = "login" }))).Content.ReadAsStringAsync();
        using (var locked = await CodeFlowSteps.SubmitLoginAsync(thirdOnB, lockedForm, citizenId))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        }

        // Both nodes work from the one key ring stored in the database, and it is stored encrypted.
        var database = nodes.A.Services.GetRequiredService<ICertLibraryDatabase>();
        await using var connection = await database.OpenConnectionAsync(default);
        var stored = (await connection.QueryAsync<string>("SELECT xml FROM identity_dataprotection_keys")).ToList();
        Assert.NotEmpty(stored);
        Assert.All(stored, xml => Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal));
        Assert.All(stored, xml => Assert.Contains("certlibEncryptedKey", xml, StringComparison.Ordinal));
        var onNodeA = nodes.A.Services.GetRequiredService<IKeyManager>().GetAllKeys().Select(k => k.KeyId).Order().ToList();
        var onNodeB = nodes.B.Services.GetRequiredService<IKeyManager>().GetAllKeys().Select(k => k.KeyId).Order().ToList();
        Assert.Equal(stored.Count, onNodeA.Count);
        Assert.Equal(onNodeA, onNodeB);
    }

    private static HttpClient Browser(ApiFactory node, System.Net.CookieContainer cookies) =>
        node.CreateDefaultClient(new Uri("https://localhost"), new CookieContainerHandler(cookies));

    private static Dictionary<string, string> Query(HttpResponseMessage redirect)
    {
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var location = redirect.Headers.Location!.ToString();
        Assert.StartsWith(RedirectUri, location, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(new Uri(location).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    /// <summary>RFC 6238 TOTP written independently of the provider's: HMAC-SHA1, dynamic truncation, 6 digits.</summary>
    private static string Code(byte[] secret, long step)
    {
        var counter = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
#pragma warning disable CA5350 // RFC 6238 is HMAC-SHA1
        var mac = HMACSHA1.HashData(secret, counter);
#pragma warning restore CA5350
        var offset = mac[^1] & 0x0F;
        var value = BinaryPrimitives.ReadInt32BigEndian(mac.AsSpan(offset)) & 0x7FFFFFFF;
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }
}
