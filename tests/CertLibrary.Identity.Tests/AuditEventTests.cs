using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity.Tests;

/// <summary>Audit events (the "Audit:" log messages): written for each security event, and free of secrets.</summary>
public sealed class AuditEventTests
{
    [Fact]
    public async Task AuditEvents_LoginTokensReuseAndLogout_EachWrittenWithoutNumberPasswordOrTokens()
    {
        var logs = new LogCapture();
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time, Logs = logs };
        using var flow = await OidcFlow.CreateAsync(factory);
        var grace = factory.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.RefreshTokenReuseGrace;
        const string wrongPassword = "wrong password 7f3a";

        using var failed = await flow.LoginAsync(password: wrongPassword);
        var code = await flow.GetCodeAsync();
        using var redeemed = await flow.RedeemAsync(code);
        var first = await IdentityApiFactory.JsonAsync(redeemed);
        using var codeReused = await flow.RedeemAsync(code);
        using var again = await flow.Browser.GetAsync(flow.AuthorizeUrl());
        var secondCode = OidcFlow.Query(again)["code"];
        using var redeemedAgain = await flow.RedeemAsync(secondCode);
        var second = await IdentityApiFactory.JsonAsync(redeemedAgain);
        var refresh = second.GetProperty("refresh_token").GetString()!;
        using var rotated = await flow.RefreshAsync(refresh);
        var rotatedTokens = await IdentityApiFactory.JsonAsync(rotated);
        time.Advance(grace + TimeSpan.FromSeconds(1));
        using var refreshReused = await flow.RefreshAsync(refresh);
        // The grant of the second ID token was just revoked (refresh reuse), so it is no longer a valid hint: the citizen confirms.
        using var confirm = await flow.Browser.GetAsync("/connect/endsession");
        var confirmHtml = await confirm.Content.ReadAsStringAsync();
        using var logout = await flow.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = OidcFlow.Field(confirmHtml, "__RequestVerificationToken"), ["confirm"] = OidcFlow.Field(confirmHtml, "confirm"),
        }));

        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, codeReused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refreshReused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        var audit = logs.Messages.Where(m => m.Contains("Audit:", StringComparison.Ordinal)).ToList();
        var clientId = flow.Client.ClientId;
        Assert.Contains(audit, m => m.Contains("Audit: login failed", StringComparison.Ordinal));
        Assert.Contains(audit, m => m.Contains($"Audit: login succeeded for citizen {flow.Subject}", StringComparison.Ordinal));
        Assert.Contains(audit, m => m.Contains($"Audit: token issued to client {clientId} by grant authorization_code", StringComparison.Ordinal));
        Assert.Contains(audit, m => m.Contains($"Audit: token issued to client {clientId} by grant refresh_token", StringComparison.Ordinal));
        Assert.Contains(audit, m => m.Contains($"Audit: authorization code reuse by client {clientId}", StringComparison.Ordinal));
        Assert.Contains(audit, m => m.Contains($"Audit: refresh token reuse by client {clientId}", StringComparison.Ordinal));
        Assert.Contains(audit, m => m.Contains($"Audit: citizen {flow.Subject} logged out", StringComparison.Ordinal));
        string[] secrets =
        [
            flow.CitizenId.ToString(), OidcFlow.Password, wrongPassword, code, secondCode, refresh,
            first.GetProperty("access_token").GetString()!, first.GetProperty("id_token").GetString()!, first.GetProperty("refresh_token").GetString()!,
            second.GetProperty("access_token").GetString()!, second.GetProperty("id_token").GetString()!,
            rotatedTokens.GetProperty("access_token").GetString()!, rotatedTokens.GetProperty("refresh_token").GetString()!,
        ];
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, logs.All, StringComparison.Ordinal));
    }
}
