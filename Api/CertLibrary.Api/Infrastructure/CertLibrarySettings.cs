using System.Security.Cryptography;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// The host's settings, read from <c>CERTLIB_*</c> environment variables (or the same keys in appsettings) and
/// validated at start-up with a message that names the bad setting.
/// </summary>
public sealed record CertLibrarySettings
{
    public required string Store { get; init; }

    public required string SqlitePath { get; init; }

    public string? PostgresConnectionString { get; init; }

    public string? Redis { get; init; }

    public required byte[] MasterKey { get; init; }

    public required string Issuer { get; init; }

    public string Audience { get; init; } = "certlib-api";

    /// <summary>Browser origins of the portals allowed to call the API cross-origin (<c>CERTLIB_CORS_ORIGINS</c>); empty allows none.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>One-number lookups per minute per department (<c>CERTLIB_LOOKUP_PER_MINUTE</c>).</summary>
    public int LookupsPerMinute { get; init; } = EdgeSecurity.DefaultLookupsPerMinute;

    /// <summary>
    /// Reverse proxies whose <c>X-Forwarded-For/-Proto/-Host</c> are believed (<c>CERTLIB_TRUSTED_PROXIES</c>: comma-separated
    /// addresses or CIDR networks); empty trusts none, loopback included. The client address behind a trusted proxy is what the
    /// per-address limits (sign-in attempts, verification) count.
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>Reads and validates; throws <see cref="InvalidOperationException"/> naming the first bad setting.</summary>
    public static CertLibrarySettings Load(IConfiguration configuration)
    {
        var store = (configuration["CERTLIB_STORE"] ?? "sqlite").Trim().ToLowerInvariant();
        if (store is not ("sqlite" or "postgresql"))
        {
            throw Bad("CERTLIB_STORE", "must be 'sqlite' or 'postgresql'");
        }

        var sqlitePath = Path.GetFullPath(configuration["CERTLIB_SQLITE_PATH"] ?? DefaultSqlitePath());
        var postgres = configuration["CERTLIB_POSTGRES"];
        if (store == "postgresql" && string.IsNullOrWhiteSpace(postgres))
        {
            throw Bad("CERTLIB_POSTGRES", "is required when CERTLIB_STORE=postgresql");
        }

        var issuer = (configuration["CERTLIB_ISSUER"] ?? "http://localhost:5000").TrimEnd('/');
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) || issuerUri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(issuerUri.Query))
        {
            throw Bad("CERTLIB_ISSUER", "must be an absolute http(s) URL without query");
        }

        return new CertLibrarySettings
        {
            Store = store,
            SqlitePath = sqlitePath,
            PostgresConnectionString = postgres is null ? null : WithTimeouts(postgres),
            Redis = string.IsNullOrWhiteSpace(configuration["CERTLIB_REDIS"]) ? null : configuration["CERTLIB_REDIS"],
            MasterKey = LoadMasterKey(configuration["CERTLIB_MASTER_KEY"], store, sqlitePath),
            Issuer = issuer,
            CorsOrigins = LoadCorsOrigins(configuration["CERTLIB_CORS_ORIGINS"]),
            LookupsPerMinute = LoadPositive(configuration, "CERTLIB_LOOKUP_PER_MINUTE", EdgeSecurity.DefaultLookupsPerMinute),
            TrustedProxies = LoadTrustedProxies(configuration["CERTLIB_TRUSTED_PROXIES"]),
        };
    }

    /// <summary>
    /// The embedded database when <c>CERTLIB_SQLITE_PATH</c> is unset: the user's data folder
    /// (<c>$XDG_DATA_HOME</c> or <c>~/.local/share</c>)<c>/CertLibrary/certlib.db</c>, never the working directory,
    /// so a service manager that starts the service elsewhere finds the same database.
    /// </summary>
    public static string DefaultSqlitePath()
    {
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        return Path.Combine(string.IsNullOrEmpty(data) ? AppContext.BaseDirectory : data, "CertLibrary", "certlib.db");
    }

    /// <summary>Connect timeout in seconds unless the connection string sets one: a database that is down answers 503 quickly.</summary>
    public const int DefaultPostgresConnectTimeout = 3;

    /// <summary>Command timeout in seconds unless the connection string sets one: no request waits on a stuck server for longer.</summary>
    public const int DefaultPostgresCommandTimeout = 10;

    private static string WithTimeouts(string connectionString)
    {
        // Npgsql's own defaults (15 s to connect, 30 s per command) would hold a request far past what a caller waits.
        var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!builder.ContainsKey("Timeout"))
        {
            builder["Timeout"] = DefaultPostgresConnectTimeout;
        }

        if (!builder.ContainsKey("Command Timeout") && !builder.ContainsKey("CommandTimeout"))
        {
            builder["Command Timeout"] = DefaultPostgresCommandTimeout;
        }

        return builder.ConnectionString;
    }

    private static List<string> LoadCorsOrigins(string? configured)
    {
        var origins = new List<string>();
        foreach (var item in (configured ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = item.EndsWith('/') ? item[..^1] : item;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(uri.UserInfo) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)
                || text.Contains('*', StringComparison.Ordinal) || text.Count(c => c == '/') != 2)
            {
                throw Bad("CERTLIB_CORS_ORIGINS", $"must be comma-separated origins like https://portal.example.gov.cn (scheme, host and optional port only); '{item}' is not one");
            }

            origins.Add(uri.GetLeftPart(UriPartial.Authority));
        }

        return origins;
    }

    private static List<System.Net.IPNetwork> LoadTrustedProxies(string? configured)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var item in (configured ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (System.Net.IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(item, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw Bad("CERTLIB_TRUSTED_PROXIES", $"must be comma-separated IP addresses or CIDR networks like 10.0.0.0/8; '{item}' is not one");
            }
        }

        return networks;
    }

    private static int LoadPositive(IConfiguration configuration, string setting, int fallback)
    {
        var text = configuration[setting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw Bad(setting, "must be a positive whole number");
    }

    private static byte[] LoadMasterKey(string? configured, string store, string sqlitePath)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            try
            {
                var key = Convert.FromBase64String(configured.Trim());
                return key.Length == 32 ? key : throw Bad("CERTLIB_MASTER_KEY", $"must be 32 bytes in base64 (got {key.Length} bytes)");
            }
            catch (FormatException)
            {
                throw Bad("CERTLIB_MASTER_KEY", "is not valid base64");
            }
        }

        if (store != "sqlite")
        {
            throw Bad("CERTLIB_MASTER_KEY", "is required with PostgreSQL (every node must share it)");
        }

        // Embedded default: a key file next to the database, created once, readable only by this user.
        var file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(sqlitePath))!, "master.key");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return Convert.FromBase64String(File.ReadAllText(file).Trim());
    }

    private static InvalidOperationException Bad(string setting, string problem) => new($"Setting {setting} {problem}.");
}
