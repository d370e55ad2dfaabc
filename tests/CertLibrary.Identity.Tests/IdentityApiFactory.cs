using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CertLibrary.CertStore;
using CertLibrary.CertStore.Sqlite;
using CertLibrary.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Identity.Tests;

/// <summary>The Api on a fresh SQLite file in a temp folder, configured through the CERTLIB_* keys.</summary>
public sealed class IdentityApiFactory : WebApplicationFactory<Program>
{
    public const string AdminClientId = "test-admin";
    public const string AdminClientSecret = "test-admin-secret-0123456789abcdef";

    private readonly string _directory;
    private readonly byte[] _masterKey;

    public IdentityApiFactory()
        : this(Path.Combine(Path.GetTempPath(), "certlib-identity-tests", Guid.NewGuid().ToString("N")), RandomNumberGenerator.GetBytes(32))
    {
    }

    private IdentityApiFactory(string directory, byte[] masterKey)
    {
        _directory = directory;
        _masterKey = masterKey;
    }

    /// <summary>
    /// The same node restarted (a new host) on the database and master key of <paramref name="previous"/>, which must have
    /// been created with <see cref="KeepDatabaseOnDispose"/>; the new one deletes the folder when disposed.
    /// (A static method: xUnit class fixtures may have only one public constructor.)
    /// </summary>
    public static IdentityApiFactory RestartOf(IdentityApiFactory previous, Dictionary<string, string> settings) =>
        new(previous._directory, previous._masterKey) { Settings = settings };

    /// <summary>Leave the database folder when disposed, for a restarted host created from this one.</summary>
    public bool KeepDatabaseOnDispose { get; init; }

    /// <summary>Issuer to configure; null derives it from the request.</summary>
    public string? Issuer { get; init; } = "https://id.certlib.test";

    /// <summary>Clock to use instead of the system clock.</summary>
    public TestTimeProvider? Time { get; init; }

    /// <summary>Receives every log message when set.</summary>
    public ILoggerProvider? Logs { get; init; }

    /// <summary>Extra configuration keys.</summary>
    public Dictionary<string, string> Settings { get; init; } = [];

    public string DatabasePath => Path.Combine(_directory, "certlib.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        CertLibrary.Testing.TestLogSink.AttachTo(builder);
        builder.UseEnvironment("Testing");
        builder.UseSetting("CERTLIB_STORE", "sqlite");
        builder.UseSetting("CERTLIB_SQLITE_PATH", DatabasePath);
        builder.UseSetting("CERTLIB_MASTER_KEY", Convert.ToBase64String(_masterKey));
        builder.UseSetting("CERTLIB_ADMIN_CLIENT_ID", AdminClientId);
        builder.UseSetting("CERTLIB_ADMIN_CLIENT_SECRET", AdminClientSecret);
        if (Issuer is not null)
        {
            builder.UseSetting("CERTLIB_ISSUER", Issuer);
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            // The API validates access tokens like any resource server, with the provider's discovery document and JWKS. A
            // configured issuer names a host that does not exist: its documents come from this in-memory server. (Hosts on a
            // real Kestrel derive the issuer from the request, Issuer = null, and fetch them over the loopback.)
            if (Issuer is not null)
            {
                services.Configure<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>(
                    Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme, o => o.BackchannelHttpHandler = Server.CreateHandler());
            }

            // Until the Api composes the store itself from CERTLIB_*; a no-op once it does.
            if (!services.Any(d => d.ServiceType == typeof(ICertLibraryDatabase)))
            {
                services.AddCertStore(o => o.MasterKey = _masterKey).UseSqlite(o => o.Path = DatabasePath);
            }

            if (Time is not null)
            {
                services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Time));
            }

            if (Logs is not null)
            {
                services.AddSingleton(Logs);
            }
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && !KeepDatabaseOnDispose)
        {
            CertLibrary.Testing.TestEnvironment.DeleteSqliteDirectory(_directory);
        }
    }

    /// <summary>Settings that put a factory on a new database of the test PostgreSQL server.</summary>
    public static async Task<Dictionary<string, string>> PostgresSettingsAsync() => new()
    {
        ["CERTLIB_STORE"] = "postgresql",
        ["CERTLIB_POSTGRES"] = await CertLibrary.Testing.TestEnvironment.CreatePostgresDatabaseAsync(),
    };

    public ClientManager Clients => Services.GetRequiredService<ClientManager>();

    public CitizenManager Citizens => Services.GetRequiredService<CitizenManager>();

    public async Task<ClientCredentials> CreateDepartmentClientAsync(params string[] scopes) =>
        await Clients.CreateAsync("11100000000013338W", "Test department", scopes.Length == 0 ? [IdentityConstants.IssueScope, IdentityConstants.UseScope] : scopes);

    /// <summary>A client carrying an administrator token of the bootstrap admin client (scope certlib.admin).</summary>
    public async Task<HttpClient> CreateAdminClientAsync()
    {
        var http = CreateClient();
        using var response = await RequestClientCredentialsAsync(http, new ClientCredentials(AdminClientId, AdminClientSecret), "certlib.admin");
        http.DefaultRequestHeaders.Authorization = new("Bearer", (await JsonAsync(response)).GetProperty("access_token").GetString());
        return http;
    }

    public static async Task<HttpResponseMessage> RequestClientCredentialsAsync(HttpClient http, ClientCredentials client, string? scope = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token");
        request.Headers.Authorization = Basic(client.ClientId, client.ClientSecret);
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        request.Content = new FormUrlEncodedContent(form);
        return await http.SendAsync(request);
    }

    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}")));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}

/// <summary>A clock the test moves.</summary>
public sealed class TestTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
