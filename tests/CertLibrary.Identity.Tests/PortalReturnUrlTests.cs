namespace CertLibrary.Identity.Tests;

/// <summary>The sample portal sends a citizen back only to a path of its own after signing in, never to another site.</summary>
public sealed class PortalReturnUrlTests(PortalSsoEnvironment environment) : IClassFixture<PortalSsoEnvironment>
{
    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")]
    [InlineData("/\n/evil.example/")]
    [InlineData("/\r\n/evil.example/")]
    [InlineData("/ /evil.example/")]
    [InlineData("/x\\..\\\\evil.example/")]
    [InlineData("https://evil.example/")]
    [InlineData("evil.example")]
    public async Task Login_ReturnUrlLeavingThePortal_ReturnsToItsHomeInstead(string returnUrl)
    {
        var location = await SignInWithReturnUrlAsync(returnUrl);

        Assert.Equal("/", location);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/services/apply?item=11100000000013338W001&tab=2")]
    [InlineData("/%09/still-a-path")]
    public async Task Login_ReturnUrlOnThePortal_ReturnsThere(string returnUrl)
    {
        var location = await SignInWithReturnUrlAsync(returnUrl);

        Assert.Equal(returnUrl, location);
    }

    /// <summary>Starts a sign-in at the portal's <c>/login?returnUrl=…</c>, signs in at the provider and answers where the portal's callback redirects.</summary>
    private async Task<string> SignInWithReturnUrlAsync(string returnUrl)
    {
        using var browser = new PortalBrowser();
        var portal = environment.Shebao;
        using var submitted = await browser.SubmitProviderLoginAsync(environment, portal.Url + "/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        var next = new Uri(new Uri(environment.Authority), submitted.Headers.Location!);
        for (var hop = 0; hop < 5; hop++)
        {
            using var response = await browser.Http.GetAsync(next);
            Assert.True((int)response.StatusCode is >= 300 and < 400, $"{next} answered {(int)response.StatusCode}");
            if (next.AbsolutePath == "/signin-oidc" && next.GetLeftPart(UriPartial.Authority) == portal.Url)
            {
                return response.Headers.Location!.OriginalString;
            }

            next = new Uri(next, response.Headers.Location!);
        }

        throw new InvalidOperationException("The sign-in never reached the portal's callback.");
    }
}
