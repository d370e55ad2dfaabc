using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CertLibrary.Signing.Sm2;

/// <summary>Registers the SM2 suite.</summary>
public static class Sm2SigningBuilderExtensions
{
    /// <summary>Adds <see cref="Sm2Suite"/> to the signature suites. Safe to call more than once.</summary>
    public static CertLibrarySigningBuilder AddSm2(this CertLibrarySigningBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISignatureSuite, Sm2Suite>());
        return builder;
    }
}
