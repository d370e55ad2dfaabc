using System.Net;
using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity.Tests;

/// <summary>The antiforgery cookie of the provider's forms is Secure whenever the page is served over https, also behind a TLS-terminating proxy.</summary>
public sealed class AntiforgeryCookieTests : IDisposable
{
    private const string Proxy = "192.0.2.1";

    private readonly IdentityApiFactory _factory = new() { Settings = new() { ["CERTLIB_TRUSTED_PROXIES"] = Proxy } };

    public void Dispose() => _factory.Dispose();

    [Theory]
    [InlineData("https", null, true)]
    [InlineData("http", "https", true)]
    [InlineData("http", null, false)]
    public async Task LoginPage_AntiforgeryCookie_SecureExactlyWhenHttps(string scheme, string? forwardedProto, bool secure)
    {
        using var flow = await OidcFlow.CreateAsync(_factory);
        var url = new Uri(new Uri("https://localhost"), flow.AuthorizeUrl());

        var context = await _factory.Server.SendAsync(c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Parse(Proxy);
            c.Request.Method = HttpMethods.Get;
            c.Request.Scheme = scheme;
            c.Request.Path = url.AbsolutePath;
            c.Request.QueryString = new QueryString(url.Query);
            if (forwardedProto is not null)
            {
                c.Request.Headers["X-Forwarded-Proto"] = forwardedProto;
            }
        });

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        var cookie = context.Response.Headers.SetCookie.Single(c => c!.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal))!;
        Assert.Equal(secure, cookie.Split(';').Any(a => a.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase)));
    }
}
