using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CertLibrary.Bench;

/// <summary>The figures measured over HTTP against the API host and the constant-JSON ceiling, both child processes.</summary>
internal sealed class HttpBench(BenchOptions options, Action<string> log)
{
    private const string CivilAffairs = "11100000000013338W";
    private const string MarriageType = CivilAffairs + "001";
    internal const string HolderNumber = "11010519491231002X";

    /// <summary>Client-credentials grants/s on SQLite vs the ceiling, plus the API's resident memory after the load.</summary>
    public async Task<IReadOnlyList<Figure>> GrantsAsync()
    {
        LoadResult ceiling;
        await using (var host = await ChildHost.StartAsync(options.CeilingDll, _ => new Dictionary<string, string>(), "/", [], TimeSpan.FromSeconds(30)))
        {
            ceiling = await LoadTokensAsync(host.Address, "bench", "bench");
        }

        log($"ceiling (constant JSON, same requests): {ceiling}");
        var directory = Directory.CreateTempSubdirectory("certlib-bench-");
        try
        {
            double? rss;
            LoadResult grants;
            await using (var api = await StartApiAsync(address => new Dictionary<string, string>
            {
                ["CERTLIB_STORE"] = "sqlite",
                ["CERTLIB_SQLITE_PATH"] = Path.Combine(directory.FullName, "certlib.db"),
                ["CERTLIB_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["CERTLIB_ISSUER"] = address.ToString().TrimEnd('/'),
            }))
            {
                var (clientId, secret) = await DemoClientAsync(api);
                grants = await LoadTokensAsync(api.Address, clientId, secret);
                rss = api.ResidentMegabytes();
            }

            log($"client-credentials grants (SQLite): {grants}");
            return
            [
                new Figure("client-credentials grants (SQLite)", grants.Succeeded > 0 ? grants.PerSecond : null, "req/s", ceiling.PerSecond, "constant-JSON Kestrel, same requests",
                    "≥ 1,000/s", $"{options.Concurrency} concurrent; p50 {grants.P50Milliseconds:0.0} ms, p99 {grants.P99Milliseconds:0.0} ms (ceiling p99 {ceiling.P99Milliseconds:0.0} ms){Failures(grants)}"),
                new Figure("API resident memory after grant load (SQLite)", rss, "MiB", null, "—", "≤ 300 MB", "VmRSS from /proc/<pid>/status"),
            ];
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Certificates/s issued in batches (both department signatures, log append) on PostgreSQL.</summary>
    public async Task<IReadOnlyList<Figure>> BatchIssuanceAsync()
    {
        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            return
            [
                Figure.NotMeasured("batch issuance, PostgreSQL", "—", "≥ 1,000 certificates/s", "no PostgreSQL (scripts/bench.sh starts one; or set CERTLIB_BENCH_POSTGRES)"),
                Figure.NotMeasured("API resident memory after batch load (PostgreSQL)", "—", "≤ 300 MB", "no PostgreSQL"),
            ];
        }

        var environment = new Dictionary<string, string>
        {
            ["CERTLIB_STORE"] = "postgresql",
            ["CERTLIB_POSTGRES"] = options.Postgres,
            ["CERTLIB_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        if (!string.IsNullOrWhiteSpace(options.Redis))
        {
            environment["CERTLIB_REDIS"] = options.Redis;
        }

        await using var api = await StartApiAsync(address => new Dictionary<string, string>(environment) { ["CERTLIB_ISSUER"] = address.ToString().TrimEnd('/') });
        var (clientId, secret) = await DemoClientAsync(api);
        using var http = LoadGenerator.CreateClient(api.Address, 2);
        var token = await TokenAsync(http, clientId, secret);
        var signatures = -1;
        var concurrency = 2; // one batch per core: a batch is already 500 units of work
        var batches = await LoadGenerator.RunAsync(async cancellationToken =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/certificates/batch")
            {
                Content = JsonContent.Create(new { items = Enumerable.Range(0, options.BatchSize).Select(_ => MarriageRequest()).ToArray() }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (0, $"{(int)response.StatusCode}: {Shorten(body)}");
            }

            using var document = JsonDocument.Parse(body);
            var created = document.RootElement.GetProperty("created").GetInt32();
            if (signatures < 0 && created > 0)
            {
                var first = document.RootElement.GetProperty("items")[0].GetProperty("certificate");
                signatures = first.GetProperty("signature").TryGetProperty("signatures", out var list) ? list.GetArrayLength() : 1;
            }

            return (created, created == 0 ? Shorten(body) : null);
        }, concurrency, options.WarmUp, options.LoadDuration);
        var rss = api.ResidentMegabytes();
        log($"batch issuance (PostgreSQL, batches of {options.BatchSize}): {batches}, {signatures} signature(s) per certificate");
        return
        [
            new Figure("batch issuance, PostgreSQL + log append", batches.Succeeded > 0 ? batches.PerSecond : null, "certificates/s", null, "—", "≥ 1,000 certificates/s",
                $"batches of {options.BatchSize}, {concurrency} in flight, {signatures} signature(s) per certificate; batch p50 {batches.P50Milliseconds:0} ms{Failures(batches)}"),
            new Figure("API resident memory after batch load (PostgreSQL)", rss, "MiB", null, "—", "≤ 300 MB", "VmRSS from /proc/<pid>/status"),
        ];
    }

    private Task<ChildHost> StartApiAsync(Func<Uri, IReadOnlyDictionary<string, string>> environment) =>
        ChildHost.StartAsync(options.ApiDll, environment, "/health/live", ["--seed-demo"], TimeSpan.FromSeconds(60));

    /// <summary>Credentials of the demo 民政部 client, read from the seeder's output (a fresh store prints them once).</summary>
    internal static async Task<(string ClientId, string Secret)> DemoClientAsync(ChildHost api, string department = "民政部")
    {
        await api.WaitForOutputAsync(l => l.StartsWith("Demo: departments", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var line = api.Output.FirstOrDefault(l => l.TrimStart().StartsWith(department, StringComparison.Ordinal))
            ?? throw new InvalidOperationException("The seeder printed no client credentials: the store was not fresh.");
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (parts[1], parts[2]);
    }

    private async Task<LoadResult> LoadTokensAsync(Uri address, string clientId, string secret)
    {
        using var http = LoadGenerator.CreateClient(address, options.Concurrency);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        return await LoadGenerator.RunAsync(async cancellationToken =>
        {
            using var request = TokenRequest(basic);
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode ? (1, null) : (0, $"{(int)response.StatusCode}: {Shorten(body)}");
        }, options.Concurrency, options.WarmUp, options.LoadDuration);
    }

    internal static async Task<string> TokenAsync(HttpClient http, string clientId, string secret)
    {
        using var request = TokenRequest(new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}"))));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!
            : throw new InvalidOperationException($"Token request failed with {(int)response.StatusCode}: {body}");
    }

    private static HttpRequestMessage TokenRequest(AuthenticationHeaderValue basic)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = basic;
        return request;
    }

    /// <summary>A valid item of type 11100000000013338W001 (结婚证), as the API tests send it.</summary>
    internal static object MarriageRequest() => new
    {
        typeCode = MarriageType,
        holder = new { idNumber = HolderNumber, name = "张小三" },
        number = "J" + Guid.NewGuid().ToString("N")[..10],
        fields = new { spouseName = "李四", registeredOn = "2020-05-20", registrationOffice = "北京市西城区民政局" },
    };

    /// <summary>The demo's 营业执照 type (holder {creditCode, name}), issued by its market-regulation department.</summary>
    internal const string BusinessLicenceType = "11100000000013127D001";

    /// <summary>The organisation the bench issues business licences to (a credit code with its GB 32100 check character).</summary>
    internal static readonly string Organization = Identifiers.CreditCode.Create("91110108MA01BENC1").ToString();

    /// <summary>A valid 营业执照 for <see cref="Organization"/>.</summary>
    internal static object BusinessLicenceRequest() => new
    {
        typeCode = BusinessLicenceType,
        holder = new { creditCode = Organization, name = "北京基准测试有限公司" },
        number = "YY" + Guid.NewGuid().ToString("N")[..10],
        fields = new { companyType = "有限责任公司", legalRepresentative = "张三", establishedOn = "2020-06-01", address = "北京市海淀区", businessScope = "技术开发" },
    };

    internal static string Failures(LoadResult result) =>
        result.Failed == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"; {result.Failed} failed ({result.FirstFailure})");

    internal static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
