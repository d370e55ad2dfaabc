using CertLibrary.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CertLibrary.CertStore.OnlineVerification;

/// <summary>Registers online QR tokens, status lists, the trust list and live verification.</summary>
public static class VerificationServiceCollectionExtensions
{
    /// <summary>Adds the verification services and their migrations; safe to call twice.</summary>
    public static IServiceCollection AddCertLibraryVerification(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<VerificationTokenStore>();
        services.TryAddSingleton<QrHolderBindingStore>();
        services.TryAddSingleton<StatusListService>();
        services.TryAddSingleton<TrustListService>();
        services.TryAddSingleton<LiveVerification>();
        services.AddMigrations(new MigrationSource("verification", typeof(VerificationTokenStore).Assembly, "OnlineVerification/Migrations"));
        return services;
    }
}
