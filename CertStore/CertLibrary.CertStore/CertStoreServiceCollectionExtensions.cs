using CertLibrary.CertStore.Caching;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Representatives;
using CertLibrary.CertStore.Stores;
using CertLibrary.CertStore.Transparency;
using CertLibrary.Data;
using CertLibrary.Signing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CertLibrary.CertStore;

/// <summary>Registers the certificate store, its cache and its manager.</summary>
public static class CertStoreServiceCollectionExtensions
{
    /// <summary>Adds the store (backend chosen by <c>UseSqlite</c>/<c>UsePostgreSql</c>) with the caching decorator; safe to call twice.</summary>
    public static CertStoreBuilder AddCertStore(this IServiceCollection services, Action<CertLibraryDataOptions> configure)
    {
        services.AddCertLibraryData(configure);
        services.TryAddSingleton<ICacheCoordinator, LocalCacheCoordinator>();
        services.TryAddSingleton<CacheMetrics>();
        services.TryAddSingleton<SqlCertificateStore>();
        services.TryAddSingleton(sp => new TwoLevelCache(sp.GetRequiredService<ICacheCoordinator>(), sp.GetRequiredService<CacheMetrics>()));
        services.TryAddSingleton<ICertificateStore>(sp => new CachingCertificateStore(sp.GetRequiredService<SqlCertificateStore>(), sp.GetRequiredService<TwoLevelCache>()));
        services.TryAddSingleton<CertificateManager>();
        services.AddOneNumber();
        services.TryAddSingleton<IRepresentativeStore, SqlRepresentativeStore>();
        services.TryAddSingleton<RepresentativeManager>();
        services.TryAddSingleton<SqlSigningKeyStore>();
        services.Replace(ServiceDescriptor.Singleton<ISigningKeyStore>(sp =>
            new CachingSigningKeyStore(sp.GetRequiredService<SqlSigningKeyStore>(), sp.GetRequiredService<ICacheCoordinator>())));
        services.TryAddSingleton<ICertificateSigner, KeyManagerCertificateSigner>();
        services.TryAddSingleton<ILogReader, SqlLogReader>();
        services.TryAddSingleton<TransparencyLogService>();
        services.AddMigrations(new MigrationSource("certstore", typeof(CertStoreBuilder).Assembly));
        // Seals the reasons that rows changed before migration V002 keep in clear.
        if (!services.Any(d => d.ServiceType == typeof(LegacyStatusReasonSealer)))
        {
            services.AddSingleton<LegacyStatusReasonSealer>();
            services.AddHostedService(sp => sp.GetRequiredService<LegacyStatusReasonSealer>());
        }

        return new CertStoreBuilder(services);
    }
}
