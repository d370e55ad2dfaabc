using System.Security.Cryptography;
using CertLibrary.CertStore;
using CertLibrary.CertStore.PostgreSql;
using CertLibrary.Identity;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Bench;

/// <summary>
/// The library's own services over a PostgreSQL database the API has already migrated, composed the way the API
/// host composes them (same master key, same derivation of the signing-key protection key), so that what the
/// bench writes is what the API reads back. Hosted services (migrations, bootstrap) are never started here.
/// </summary>
internal static class StoreServices
{
    public static ServiceProvider Create(string connectionString, byte[] masterKey)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCertStore(o => o.MasterKey = masterKey).UsePostgreSql(connectionString);
        // Same derivation as Api/CertLibrary.Api/Infrastructure/CertLibraryHost.cs: keys created here must open there.
        services.AddCertLibrarySigning(o => o.MasterKey = Convert.ToBase64String(
            HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, info: "certlib signing keys v1"u8.ToArray()))).AddSm2();
        services.AddCertLibraryIdentity(new ConfigurationBuilder().Build());
        return services.BuildServiceProvider();
    }
}
