using System.Net;
using System.Text;
using CertLibrary.Api.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace CertLibrary.Api.Tests;

/// <summary>
/// Behind a reverse proxy every request arrives from the proxy's address: only proxies named in CERTLIB_TRUSTED_PROXIES
/// may say which client they forward for, so per-address limits count citizens, not the proxy, and nobody else can pick
/// the address they are counted under.
/// </summary>
public sealed class TrustedProxyTests : IDisposable
{
    private readonly ApiFactory _factory = new()
    {
        Settings = new Dictionary<string, string>
        {
            ["CERTLIB_TRUSTED_PROXIES"] = "10.20.0.0/16, 192.0.2.1",
            ["CERTLIB_VERIFY_PER_MINUTE"] = "2",
        },
    };

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Verify_ThroughTrustedProxy_LimitCountsEachForwardedClient()
    {
        // Limit 2 per client address: four requests through one proxy for two clients all pass, a client's third does not.
        var clientA = await VerifyStatusesAsync("10.20.3.4", "203.0.113.10", 2);
        var clientB = await VerifyStatusesAsync("10.20.3.4", "203.0.113.11", 2);
        var clientAAgain = await VerifyStatusesAsync("10.20.3.4", "203.0.113.10", 1);
        var throughOtherProxy = await VerifyStatusesAsync("192.0.2.1", "203.0.113.12", 2);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], clientA);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], clientB);
        Assert.Equal([HttpStatusCode.TooManyRequests], clientAAgain);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], throughOtherProxy);
    }

    [Fact]
    public async Task Verify_UntrustedSenderClaimingToForward_CountedUnderItsOwnAddress()
    {
        var statuses = new List<HttpStatusCode>();
        foreach (var claimed in new[] { "203.0.113.20", "203.0.113.21", "203.0.113.22" })
        {
            statuses.AddRange(await VerifyStatusesAsync("198.51.100.7", claimed, 1));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Verify_LoopbackSenderWithoutSetting_CountedUnderItsOwnAddress(string loopback)
    {
        // A local process, not a proxy anyone named: its X-Forwarded-For must not move it to a fresh limit.
        using var factory = new ApiFactory { Settings = new Dictionary<string, string> { ["CERTLIB_VERIFY_PER_MINUTE"] = "2" } };
        var statuses = new List<HttpStatusCode>();
        foreach (var claimed in new[] { "203.0.113.30", "203.0.113.31", "203.0.113.32" })
        {
            statuses.AddRange(await VerifyStatusesAsync(factory, loopback, claimed, 1));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Verify_LoopbackNamedInSetting_LimitCountsEachForwardedClient()
    {
        using var factory = new ApiFactory
        {
            Settings = new Dictionary<string, string> { ["CERTLIB_TRUSTED_PROXIES"] = "127.0.0.1", ["CERTLIB_VERIFY_PER_MINUTE"] = "2" },
        };
        var statuses = new List<HttpStatusCode>();
        foreach (var claimed in new[] { "203.0.113.40", "203.0.113.41", "203.0.113.42" })
        {
            statuses.AddRange(await VerifyStatusesAsync(factory, "127.0.0.1", claimed, 1));
        }

        var sameClient = await VerifyStatusesAsync(factory, "127.0.0.1", "203.0.113.40", 2);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], sameClient);
    }

    [Theory]
    [InlineData("proxy.example.gov.cn")]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    public void Settings_BadTrustedProxy_RejectedAtStartUp(string proxies)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CERTLIB_MASTER_KEY"] = Convert.ToBase64String(new byte[32]),
            ["CERTLIB_TRUSTED_PROXIES"] = "10.0.0.1, " + proxies,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => CertLibrarySettings.Load(configuration));

        Assert.Contains("CERTLIB_TRUSTED_PROXIES", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Sends <paramref name="count"/> verifications over a connection from <paramref name="sender"/> carrying X-Forwarded-For <paramref name="client"/>.</summary>
    private Task<List<HttpStatusCode>> VerifyStatusesAsync(string sender, string client, int count) => VerifyStatusesAsync(_factory, sender, client, count);

    private static async Task<List<HttpStatusCode>> VerifyStatusesAsync(ApiFactory factory, string sender, string client, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            var context = await factory.Server.SendAsync(c =>
            {
                c.Connection.RemoteIpAddress = IPAddress.Parse(sender);
                c.Request.Method = HttpMethods.Post;
                c.Request.Path = "/api/v1/verify";
                c.Request.Headers["X-Forwarded-For"] = client;
                c.Request.ContentType = "application/json";
                c.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes("""{"qr":"CL1:not-a-jws"}"""));
            });
            statuses.Add((HttpStatusCode)context.Response.StatusCode);
        }

        return statuses;
    }
}
