using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CertLibrary.Signing;

/// <summary>Registers the signing services.</summary>
public static class SigningServiceCollectionExtensions
{
    /// <summary>
    /// Adds the ES256 suite, <see cref="SignatureSuites"/>, the AES-256-GCM <see cref="IKeyProtector"/> (master key
    /// from <see cref="SigningOptions.MasterKey"/>, validated at start-up), <see cref="KeyManager"/> and, unless a
    /// backend registered one first, the <see cref="InMemorySigningKeyStore"/>. Safe to call more than once.
    /// </summary>
    public static CertLibrarySigningBuilder AddCertLibrarySigning(
        this IServiceCollection services,
        Action<SigningOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SigningOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SigningOptions>, SigningOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISignatureSuite, Es256Suite>());
        services.TryAddSingleton<SignatureSuites>();
        services.TryAddSingleton<IKeyProtector, AesGcmKeyProtector>();
        services.TryAddSingleton<ISigningKeyStore, InMemorySigningKeyStore>();
        services.TryAddSingleton<KeyManager>();
        return new CertLibrarySigningBuilder(services);
    }
}

/// <summary>Chains further signing registrations (e.g. <c>.AddSm2()</c>) after <c>AddCertLibrarySigning</c>.</summary>
/// <param name="services">The service collection being configured.</param>
public sealed class CertLibrarySigningBuilder(IServiceCollection services)
{
    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; } = services;
}
