using CertLibrary.Signing;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// Creates the platform root keys at start-up (after migrations), so their key-added log entries come first and
/// the first tree head or trust list request does not change the log it describes.
/// </summary>
internal sealed class PlatformKeyInitializer(KeyManager keys) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => keys.GetSignersAsync(SigningKeyRecord.PlatformOwner, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
