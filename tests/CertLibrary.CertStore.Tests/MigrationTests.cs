using CertLibrary.CertStore.OnlineVerification;
using CertLibrary.CertStore.PostgreSql;
using CertLibrary.CertStore.Sqlite;
using CertLibrary.Data;
using CertLibrary.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.CertStore.Tests;

/// <summary>Two migration modules can share an assembly: each applies only the scripts of its own folder.</summary>
public sealed class MigrationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "certlib-tests", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task MigrateAsync_ModuleInSubFolderOfAnother_EachAppliesOnlyItsOwnFolder(string backend)
    {
        var applied = await MigrateAsync(backend, services => services
            .AddMigrations(new MigrationSource("test", typeof(MigrationTests).Assembly))
            .AddMigrations(new MigrationSource("test-nested", typeof(MigrationTests).Assembly, "Nested/Migrations")));

        Assert.Equal(["V001_outer"], Names(applied, "test"));
        Assert.Equal(["V002_nested"], Names(applied, "test-nested"));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task MigrateAsync_CertStoreWithOnlineVerification_KeepsTheirModulesApart(string backend)
    {
        var applied = await MigrateAsync(backend, services => services.AddCertLibraryVerification());

        // Each module applies exactly the scripts of its own folder, whatever they are.
        Assert.Equal(Scripts("CertLibrary.CertStore.OnlineVerification.Migrations", backend), Names(applied, "verification"));
        Assert.Equal(Scripts("CertLibrary.CertStore.Migrations", backend), Names(applied, "certstore"));
        Assert.Contains("V001_verification", Names(applied, "verification"));
        Assert.Contains("V001_certstore", Names(applied, "certstore"));
    }

    private static List<string> Scripts(string folder, string dialect)
    {
        var prefix = $"{folder}.{dialect}.";
        return [.. typeof(CertStoreBuilder).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => n[prefix.Length..^".sql".Length])
            .Order(StringComparer.Ordinal)];
    }

    public void Dispose() => TestEnvironment.DeleteSqliteDirectory(_directory);

    private static List<string> Names(IEnumerable<(string Module, string Name)> applied, string module) =>
        [.. applied.Where(a => a.Module == module).Select(a => a.Name)];

    /// <summary>Migrates a new database twice (the second run applies nothing) and returns schema_migrations.</summary>
    private async Task<List<(string Module, string Name)>> MigrateAsync(string backend, Action<IServiceCollection> modules)
    {
        var services = new ServiceCollection().AddLogging();
        var store = services.AddCertStore(o => o.MasterKey = TestEnvironment.NewMasterKey());
        if (backend == "sqlite")
        {
            store.UseSqlite(o => o.Path = Path.Combine(_directory, "certlib.db"));
        }
        else
        {
            store.UsePostgreSql(await TestEnvironment.CreatePostgresDatabaseAsync());
        }

        modules(services);
        await using var provider = services.BuildServiceProvider();
        var migrator = provider.GetRequiredService<DatabaseMigrator>();
        await migrator.MigrateAsync(CancellationToken.None);
        Assert.Equal(0, await migrator.MigrateAsync(CancellationToken.None));
        await using var connection = await provider.GetRequiredService<ICertLibraryDatabase>().OpenConnectionAsync(CancellationToken.None);
        return [.. await connection.QueryAsync<(string Module, string Name)>("SELECT module, name FROM schema_migrations ORDER BY module, version")];
    }
}
