using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CertLibrary.Operations.Tests;

/// <summary>
/// The API as operators run it: <c>dotnet CertLibrary.Api.dll --urls ...</c> in its own process, configured by
/// environment variables, so a test can kill it with SIGKILL and start it again on the same database.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    public const string AdminClientId = "ops-test-admin";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A deployment's settings: store, database, master key and bootstrap administrator.</summary>
    public sealed record Settings(string Store, string Database, byte[] MasterKey, string AdminSecret, int Port)
    {
        /// <summary>CERTLIB_REDIS of the node (none by default).</summary>
        public string? Redis { get; init; }

        public static Settings Sqlite(string path) => new("sqlite", path, RandomNumberGenerator.GetBytes(32), NewSecret(), FreePort());

        public static Settings Postgres(string connectionString) => new("postgresql", connectionString, RandomNumberGenerator.GetBytes(32), NewSecret(), FreePort());

        private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    }

    /// <summary>Starts the API; <paramref name="workingDirectory"/> defaults to the application's folder.</summary>
    public static async Task<ApiProcess> StartAsync(Settings settings, string? workingDirectory = null)
    {
        var dll = ApiDll();
        var url = $"http://127.0.0.1:{settings.Port}";
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", url },
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["CERTLIB_STORE"] = settings.Store;
        start.Environment[settings.Store == "sqlite" ? "CERTLIB_SQLITE_PATH" : "CERTLIB_POSTGRES"] = settings.Database;
        start.Environment["CERTLIB_MASTER_KEY"] = Convert.ToBase64String(settings.MasterKey);
        start.Environment["CERTLIB_ISSUER"] = url;
        start.Environment["CERTLIB_ADMIN_CLIENT_ID"] = AdminClientId;
        start.Environment["CERTLIB_ADMIN_CLIENT_SECRET"] = settings.AdminSecret;
        start.Environment["CERTLIB_VERIFY_PER_MINUTE"] = "100000";
        if (settings.Redis is null)
        {
            start.Environment.Remove("CERTLIB_REDIS");
        }
        else
        {
            start.Environment["CERTLIB_REDIS"] = settings.Redis;
        }

        var process = new Process { StartInfo = start };
        var api = new ApiProcess(process, new Uri(url + "/"));
        process.OutputDataReceived += (_, e) => api.Append(e.Data);
        process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The API exited with {process.ExitCode}:\n{api.Output}");
            }

            try
            {
                using var ready = await http.GetAsync("health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // busy starting
            }

            await Task.Delay(200);
        }

        await api.DisposeAsync();
        throw new TimeoutException($"The API did not become ready:\n{api.Output}");
    }

    /// <summary>SIGKILL: no shutdown, no flush, in-flight requests die with the process.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>An HTTP client carrying a token of the bootstrap administrator.</summary>
    public async Task<HttpClient> AdminAsync(Settings settings)
    {
        var http = Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(AdminClientId, settings.AdminSecret));
        return http;
    }

    public async Task<string> TokenAsync(string clientId, string secret)
    {
        using var http = Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> PostAsync(HttpClient http, string url, object body) => await JsonAsync(await http.PostAsJsonAsync(url, body));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>The checkout this test runs from (the folder of CertLibrary.sln).</summary>
    public static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "CertLibrary.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new DirectoryNotFoundException("CertLibrary.sln not found above " + AppContext.BaseDirectory);
    }

    // The API project is built with this one (a non-referencing project reference), in the same configuration.
    private static string ApiDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var dll = Path.Combine(RepositoryRoot(), "Api", "CertLibrary.Api", "bin", configuration, framework, "CertLibrary.Api.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the API first (it is a build dependency of this test project).", dll);
    }
}
