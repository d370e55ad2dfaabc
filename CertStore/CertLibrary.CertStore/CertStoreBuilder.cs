using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.CertStore;

/// <summary>Chains backend choices after <see cref="CertStoreServiceCollectionExtensions.AddCertStore"/>.</summary>
public sealed class CertStoreBuilder(IServiceCollection services)
{
    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; } = services;
}
