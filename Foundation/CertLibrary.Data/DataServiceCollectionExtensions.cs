using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CertLibrary.Data;

/// <summary>Registers the data plumbing every store shares: clock, personal-data protector and migrations.</summary>
public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="TimeProvider"/>, the <see cref="PersonalDataProtector"/> (keyed by
    /// <see cref="CertLibraryDataOptions.MasterKey"/>) and the <see cref="DatabaseMigrator"/> that applies every
    /// registered <see cref="MigrationSource"/> at start-up. The database itself (<see cref="ICertLibraryDatabase"/>)
    /// comes from a backend (<c>UseSqlite</c>/<c>UsePostgreSql</c>). Safe to call twice; each call's
    /// <paramref name="configure"/> is applied.
    /// </summary>
    public static IServiceCollection AddCertLibraryData(this IServiceCollection services, Action<CertLibraryDataOptions>? configure = null)
    {
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PersonalDataProtector(sp.GetRequiredService<IOptions<CertLibraryDataOptions>>().Value.MasterKey));
        if (!services.Any(d => d.ServiceType == typeof(DatabaseMigrator)))
        {
            services.AddSingleton<DatabaseMigrator>();
            services.AddHostedService(sp => sp.GetRequiredService<DatabaseMigrator>());
        }

        return services;
    }

    /// <summary>Registers a module's migrations once (by module name).</summary>
    public static IServiceCollection AddMigrations(this IServiceCollection services, MigrationSource source)
    {
        if (!services.Any(d => d.ImplementationInstance is MigrationSource existing && existing.Module == source.Module))
        {
            services.AddSingleton(source);
        }

        return services;
    }
}
