using System.Globalization;
using System.Security.Cryptography;
using CertLibrary.Identity;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CertLibrary.Bench;

/// <summary>
/// One PostgreSQL database of the bench server (created fresh) with its own master key and Redis database number:
/// seeded by the API itself (<c>--seed-demo</c>: migrations, departments, types, clients, demo citizen), filled by
/// <see cref="DataGenerator"/> while no API runs, then served by an API child process configured as in production.
/// </summary>
internal sealed class PostgresDataset
{
    public const string PortalRedirectUri = "http://127.0.0.1/bench/callback";

    private readonly BenchOptions _options;
    private readonly int _redisDatabase;

    private PostgresDataset(BenchOptions options, string name, int redisDatabase)
    {
        _options = options;
        _redisDatabase = redisDatabase;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public byte[] MasterKey { get; } = RandomNumberGenerator.GetBytes(32);

    public (string ClientId, string Secret) Department { get; private set; }

    public (string IdNumber, string Password) Citizen { get; private set; }

    public (string ClientId, string Secret) Portal { get; private set; }

    /// <summary>Creates the database (dropping a leftover of the same name) and seeds it through the API.</summary>
    public static async Task<PostgresDataset> CreateAsync(BenchOptions options, string name, int redisDatabase)
    {
        await using (var connection = new NpgsqlConnection(options.Postgres))
        {
            await connection.OpenAsync();
            foreach (var sql in new[] { $"DROP DATABASE IF EXISTS {name} WITH (FORCE)", $"CREATE DATABASE {name}" })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        var dataset = new PostgresDataset(options, name, redisDatabase);
        await using (var api = await dataset.StartApiAsync(seed: true))
        {
            dataset.Department = await HttpBench.DemoClientAsync(api);
            var citizen = api.Output.FirstOrDefault(l => l.StartsWith("Demo citizen", StringComparison.Ordinal))
                ?? throw new InvalidOperationException("The seeder printed no demo citizen.");
            dataset.Citizen = ("11010519491231002X", citizen[(citizen.LastIndexOf("password ", StringComparison.Ordinal) + "password ".Length)..].Trim());
        }

        // A portal client (authorization code + PKCE) for the login figure, registered through the provider's own manager.
        await using var services = StoreServices.Create(dataset.ConnectionString, dataset.MasterKey);
        var portal = await services.GetRequiredService<ClientManager>().CreateAsync(null, "Bench portal", [IdentityConstants.OpenIdScope],
            new ClientRegistrationOptions { RedirectUris = [PortalRedirectUri] });
        dataset.Portal = (portal.ClientId, portal.ClientSecret);
        return dataset;
    }

    /// <summary>
    /// The API on this database and Redis. The verification, lookup and login rate limits are raised for the bench child
    /// only: every request of the load generator comes from 127.0.0.1.
    /// </summary>
    public Task<ChildHost> StartApiAsync(bool seed = false)
    {
        var environment = new Dictionary<string, string>
        {
            ["CERTLIB_STORE"] = "postgresql",
            ["CERTLIB_POSTGRES"] = ConnectionString,
            ["CERTLIB_MASTER_KEY"] = Convert.ToBase64String(MasterKey),
            ["CERTLIB_VERIFY_PER_MINUTE"] = "100000000",
            ["CERTLIB_LOOKUP_PER_MINUTE"] = "100000000",
            ["Identity__LoginAttemptsPerIpPerMinute"] = "100000000",
        };
        if (!string.IsNullOrWhiteSpace(_options.Redis))
        {
            environment["CERTLIB_REDIS"] = string.Create(CultureInfo.InvariantCulture, $"{_options.Redis},defaultDatabase={_redisDatabase}");
        }

        return ChildHost.StartAsync(_options.ApiDll, address => new Dictionary<string, string>(environment) { ["CERTLIB_ISSUER"] = address.ToString().TrimEnd('/') },
            "/health/ready", seed ? ["--seed-demo"] : [], TimeSpan.FromSeconds(90));
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
