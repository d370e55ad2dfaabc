using CertLibrary.CertStore.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>At start-up: schema present, administrator client ensured, signing key ready.</summary>
internal sealed class IdentityBootstrapper(IServiceProvider services, IOptions<IdentityOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Idempotent; makes this service independent of the order in which hosted services were registered.
        if (services.GetService<DatabaseMigrator>() is { } migrator)
        {
            await migrator.MigrateAsync(cancellationToken);
        }

        if (options.Value is { AdminClientId: { } id, AdminClientSecret: { } secret })
        {
            await services.GetRequiredService<ClientManager>().EnsureAdminClientAsync(id, secret, cancellationToken);
        }

        await services.GetRequiredService<SigningKeyManager>().GetSigningCredentialsAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
