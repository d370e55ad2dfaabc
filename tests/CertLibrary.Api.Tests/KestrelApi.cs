using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using CertLibrary.Identity;
using CertLibrary.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The API on a real loopback Kestrel, for clients that cannot reach the in-memory TestServer (a browser, a load
/// generator): its own SQLite file, its issuer its own address, so JwtBearer fetches discovery and JWKS over HTTP.
/// Call <c>StartServer()</c> before use.
/// </summary>
internal sealed class KestrelApi : WebApplicationFactory<Program>
{
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-kestrel-").FullName;
    private readonly IReadOnlyDictionary<string, string> _settings;

    public KestrelApi(IReadOnlyDictionary<string, string>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string>();
        Port = FreePort();
        UseKestrel(Port);
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>An HTTP client of a new client of <paramref name="department"/> (issue and use), its token from /connect/token over HTTP.</summary>
    public async Task<HttpClient> DepartmentClientAsync(string department)
    {
        var credentials = await Services.GetRequiredService<ClientManager>().CreateAsync(department, "test department", ["certlib.issue", "certlib.use"]);
        var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await ApiFactory.TokenAsync(http, credentials));
        return http;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        TestLogSink.AttachTo(builder);
        builder.UseEnvironment("Testing");
        builder.UseSetting("CERTLIB_STORE", "sqlite");
        builder.UseSetting("CERTLIB_SQLITE_PATH", Path.Combine(_directory, "certlib.db"));
        builder.UseSetting("CERTLIB_MASTER_KEY", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        builder.UseSetting("CERTLIB_ISSUER", BaseUrl);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            TestEnvironment.DeleteSqliteDirectory(_directory);
        }
    }
}
