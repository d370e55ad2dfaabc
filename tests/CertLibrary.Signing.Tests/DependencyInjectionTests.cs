using System.Security.Cryptography;
using CertLibrary.Signing.Sm2;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CertLibrary.Signing.Tests;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task AddCertLibrarySigning_CalledTwiceWithSm2_RegistersBothSuitesOnce()
    {
        var masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var services = new ServiceCollection();
        services.AddCertLibrarySigning(o => o.MasterKey = masterKey).AddSm2();
        services.AddCertLibrarySigning().AddSm2();

        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.Equal(["ES256", "SM2"], provider.GetRequiredService<SignatureSuites>().All.Select(s => s.Algorithm));
        provider.GetRequiredService<IStartupValidator>().Validate();
        var signers = await provider.GetRequiredService<KeyManager>().GetSignersAsync("platform", CancellationToken.None);
        Assert.Equal(2, signers.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64")]
    [InlineData("AAAA")]
    public void AddCertLibrarySigning_MissingOrBadMasterKey_FailsStartupNamingSetting(string? masterKey)
    {
        var services = new ServiceCollection();
        services.AddCertLibrarySigning(o => o.MasterKey = masterKey);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("CERTLIB_MASTER_KEY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddCertLibrarySigning_StoreRegisteredFirst_KeepsIt()
    {
        var store = new InMemorySigningKeyStore();
        var services = new ServiceCollection();
        services.AddSingleton<ISigningKeyStore>(store);
        services.AddCertLibrarySigning(o => o.MasterKey = Convert.ToBase64String(new byte[32]));
        using var provider = services.BuildServiceProvider();

        Assert.Same(store, provider.GetRequiredService<ISigningKeyStore>());
    }
}
