using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CertLibrary.Api.Tests;

/// <summary>
/// The whole service on a fresh SQLite file. Tokens come from the real /connect/token endpoint and are validated
/// by JwtBearer through discovery + JWKS fetched over the test server's HTTP handler.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    public const string CivilAffairs = DemoSeeder.CivilAffairs;
    public const string Housing = DemoSeeder.Housing;
    public const string MarriageType = CivilAffairs + "001";
    public const string HolderNumber = "11010519491231002X";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "certlib-api-tests", Guid.NewGuid().ToString("N"));

    public TimeProvider? Time { get; init; }

    /// <summary>Settings that replace the SQLite defaults (e.g. CERTLIB_STORE=postgresql for multi-node tests).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Master key; nodes of one deployment share it.</summary>
    public byte[] MasterKey { get; init; } = RandomNumberGenerator.GetBytes(32);

    public string DatabasePath => Path.Combine(_directory, "certlib.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        CertLibrary.Testing.TestLogSink.AttachTo(builder);
        builder.UseEnvironment("Testing");
        builder.UseSetting("CERTLIB_STORE", "sqlite");
        builder.UseSetting("CERTLIB_SQLITE_PATH", DatabasePath);
        builder.UseSetting("CERTLIB_MASTER_KEY", Convert.ToBase64String(MasterKey));
        builder.UseSetting("CERTLIB_ISSUER", "http://localhost");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o => o.BackchannelHttpHandler = Server.CreateHandler());
            if (Time is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(Time));
            }
        });
    }

    public async Task SeedAsync() => await DemoSeeder.SeedAsync(Services, TextWriter.Null, default);

    /// <summary>Starts the server, seeds the demo data and returns a client of 民政部 allowed to issue and use.</summary>
    public async Task<HttpClient> StartWithCivilAffairsClientAsync()
    {
        _ = Server;
        await SeedAsync();
        return await ClientForAsync(CivilAffairs, "certlib.issue", "certlib.use");
    }

    /// <summary>An HTTP client carrying a fresh access token of a new client of <paramref name="department"/>.</summary>
    public async Task<HttpClient> ClientForAsync(string? department, params string[] scopes)
    {
        var credentials = await Services.GetRequiredService<ClientManager>().CreateAsync(department, "test client", scopes);
        var http = CreateClient();
        var token = await TokenAsync(http, credentials);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public static async Task<string> TokenAsync(HttpClient http, ClientCredentials credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(credentials.ClientId)}:{Uri.EscapeDataString(credentials.ClientSecret)}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>
    /// An HTTP client carrying an access token of the citizen with <paramref name="idNumber"/> (registered when new) for the
    /// built-in portal, with <paramref name="scopes"/> (by default the portal's own). The token comes from the provider's
    /// own (internal) token factory: same key, issuer and audience as <c>/connect/token</c>.
    /// </summary>
    public async Task<HttpClient> CitizenClientAsync(string idNumber, params string[] scopes)
    {
        var citizens = Services.GetRequiredService<CitizenManager>();
        var citizen = await citizens.FindByCitizenIdAsync(CertLibrary.Identifiers.CitizenId.Parse(idNumber)) // the demo seed may have registered it
            ?? (await citizens.RegisterAsync(CertLibrary.Identifiers.CitizenId.Parse(idNumber), "张小三", "correct horse battery")).Citizen!;
        var type = typeof(CitizenManager).Assembly.GetType("CertLibrary.Identity.TokenFactory", throwOnError: true)!;
        var task = (Task)type.GetMethod("CreateAccessTokenAsync")!.Invoke(Services.GetRequiredService(type),
            ["http://localhost", citizen.Subject, CitizenPortal.ClientId, (IReadOnlyCollection<string>)(scopes.Length == 0 ? CitizenPortal.Scopes : scopes), null, CancellationToken.None])!;
        await task;
        var result = task.GetType().GetProperty("Result")!.GetValue(task)!;
        var http = CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)result.GetType().GetField("Item1")!.GetValue(result)!);
        return http;
    }

    /// <summary>The platform root keys (tree heads, trust list, status lists) as a verifier resolver.</summary>
    public CertLibrary.Signing.StaticJwsKeyResolver PlatformKeys()
    {
        var keys = Services.GetRequiredService<CertLibrary.Signing.KeyManager>().GetAllKeysAsync(default).GetAwaiter().GetResult();
        var suites = Services.GetRequiredService<CertLibrary.Signing.SignatureSuites>();
        return new CertLibrary.Signing.StaticJwsKeyResolver(keys.Where(k => k.OwnerCode == CertLibrary.Signing.SigningKeyRecord.PlatformOwner)
            .Select(k => new CertLibrary.Signing.JwsVerificationKey(suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo)));
    }

    public static object MarriageRequest(string idNumber = HolderNumber, object? fields = null) => new
    {
        typeCode = MarriageType,
        holder = new { idNumber, name = "张小三" },
        number = "J" + Guid.NewGuid().ToString("N")[..10],
        fields = fields ?? new { spouseName = "李四", registeredOn = "2020-05-20", registrationOffice = "北京市西城区民政局" },
    };

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string url, object body) => http.PostAsJsonAsync(url, body);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            CertLibrary.Testing.TestEnvironment.DeleteSqliteDirectory(_directory);
        }
    }
}
