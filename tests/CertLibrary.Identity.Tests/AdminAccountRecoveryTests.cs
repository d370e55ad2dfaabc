using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Identity.Tests;

/// <summary>Administrator account recovery: reset a citizen's second factor, unlock a locked account (number in the body, never the URL).</summary>
public sealed class AdminAccountRecoveryTests(TotpFixture fixture) : IClassFixture<TotpFixture>
{
    private const string ResetPath = "/api/v1/admin/citizens/second-factor/reset";
    private const string UnlockPath = "/api/v1/admin/citizens/unlock";

    private IdentityApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task ResetSecondFactor_ByIdNumberInBody_TotpAndRecoveryCodesGone_PasswordAloneSignsIn_AuditedWithoutNumber()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var (_, codes) = await TotpFlow.EnrolWithRecoveryCodesAsync(flow, fixture.Time);
        using var admin = await Factory.CreateAdminClientAsync();

        using var response = await admin.PostAsJsonAsync(ResetPath, new { idNumber = flow.CitizenId.ToString() });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await IdentityApiFactory.JsonAsync(response);
        Assert.Equal(flow.Subject, status.GetProperty("subject").GetString());
        Assert.False(status.GetProperty("totpEnabled").GetBoolean());
        Assert.False((await Factory.Citizens.FindBySubjectAsync(flow.Subject))!.TotpEnabled);
        Assert.Equal(0, await Factory.Services.GetRequiredService<TotpManager>().RecoveryCodesLeftAsync(flow.Subject, CancellationToken.None));
        flow.NewBrowserSession();
        using var login = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains($"Audit: administrator {IdentityApiFactory.AdminClientId} reset the second factor of citizen {flow.Subject}", fixture.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(flow.CitizenId.ToString(), fixture.Logs.All, StringComparison.Ordinal);
        Assert.All(codes, c => Assert.DoesNotContain(c, fixture.Logs.All, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResetSecondFactor_EndsEveryOpenSession_TokensRevoked_BrowserMustSignInAgain()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        await TotpFlow.EnrolAsync(flow, fixture.Time);

        // The browser's session (signed in for the enrolment) gives a portal its tokens without a prompt.
        using var sso = await flow.Browser.GetAsync(flow.AuthorizeUrl());
        using var redeemed = await flow.RedeemAsync(OidcFlow.Query(sso)["code"]);
        var tokens = await IdentityApiFactory.JsonAsync(redeemed);
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        Assert.True(await flow.IsActiveAsync(accessToken));
        using var admin = await Factory.CreateAdminClientAsync();

        using var response = await admin.PostAsJsonAsync(ResetPath, new { subject = flow.Subject });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(await flow.IsActiveAsync(accessToken));
        Assert.False(await flow.IsActiveAsync(refreshToken));
        using var silent = await flow.Browser.GetAsync(flow.AuthorizeUrl(new() { ["prompt"] = "none" }));
        Assert.Equal(HttpStatusCode.Redirect, silent.StatusCode);
        Assert.Contains("error=login_required", silent.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unlock_LockedAccount_RightPasswordSignsInAgain_AuditedWithoutNumber()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        for (var i = 0; i < 5; i++)
        {
            flow.NewBrowserSession();
            using var wrong = await flow.LoginAsync(password: "wrong password " + i);
        }

        flow.NewBrowserSession();
        using var locked = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        using var admin = await Factory.CreateAdminClientAsync();
        using var before = await admin.PostAsJsonAsync(ResetPath, new { subject = "no-such-subject" });

        using var response = await admin.PostAsJsonAsync(UnlockPath, new { idNumber = flow.CitizenId.ToString() });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await IdentityApiFactory.JsonAsync(response);
        Assert.False(status.GetProperty("lockedOut").GetBoolean());
        flow.NewBrowserSession();
        using var login = await flow.LoginAsync();
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains($"Audit: administrator {IdentityApiFactory.AdminClientId} unlocked citizen {flow.Subject}", fixture.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(flow.CitizenId.ToString(), fixture.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unlock_BySubject_Works()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        using var admin = await Factory.CreateAdminClientAsync();

        using var response = await admin.PostAsJsonAsync(UnlockPath, new { subject = flow.Subject });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(flow.Subject, (await IdentityApiFactory.JsonAsync(response)).GetProperty("subject").GetString());
    }

    [Theory]
    [InlineData(ResetPath)]
    [InlineData(UnlockPath)]
    public async Task Recovery_UnknownCitizen_404ProblemDetails(string path)
    {
        using var admin = await Factory.CreateAdminClientAsync();

        using var byNumber = await admin.PostAsJsonAsync(path, new { idNumber = "11010519491231002X" });
        using var bySubject = await admin.PostAsJsonAsync(path, new { subject = "unknown-subject" });

        foreach (var response in new[] { byNumber, bySubject })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData(ResetPath, "{\"idNumber\":\"123\"}")]
    [InlineData(UnlockPath, "{\"idNumber\":\"11010519491231002X\",\"subject\":\"x\"}")]
    [InlineData(UnlockPath, "{}")]
    [InlineData(ResetPath, "{\"idNumber\":")]
    [InlineData(ResetPath, "[1,2]")]
    public async Task Recovery_BadBody_400ProblemDetails(string path, string body)
    {
        using var admin = await Factory.CreateAdminClientAsync();

        using var response = await admin.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Recovery_DepartmentTokenOrNoToken_Refused()
    {
        using var flow = await OidcFlow.CreateAsync(Factory);
        var department = await Factory.CreateDepartmentClientAsync();
        using var http = Factory.CreateClient();
        var token = (await IdentityApiFactory.JsonAsync(await IdentityApiFactory.RequestClientCredentialsAsync(http, department))).GetProperty("access_token").GetString();

        using var anonymous = await http.PostAsJsonAsync(UnlockPath, new { subject = flow.Subject });
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var notAdmin = await http.PostAsJsonAsync(ResetPath, new { subject = flow.Subject });

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
    }
}
