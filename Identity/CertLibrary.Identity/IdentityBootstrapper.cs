using CertLibrary.Data;
using Dapper;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>At start-up: schema present, citizen names sealed, administrator client ensured, signing key ready.</summary>
internal sealed class IdentityBootstrapper(IServiceProvider services, IOptions<IdentityOptions> options) : IHostedService
{
    private const long DataProtectionLockKey = 0x43_4C_44_50_4B_65_79; // "CLDPKey"

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Idempotent; makes this service independent of the order in which hosted services were registered.
        if (services.GetService<DatabaseMigrator>() is { } migrator)
        {
            await migrator.MigrateAsync(cancellationToken);
        }

        // Completes migration V007: names stored before it are sealed like every name written since.
        await services.GetRequiredService<CitizenManager>().SealClearNamesAsync(cancellationToken);

        if (options.Value is { AdminClientId: { } id, AdminClientSecret: { } secret })
        {
            await services.GetRequiredService<ClientManager>().EnsureAdminClientAsync(id, secret, cancellationToken);
        }

        await using (var connection = await services.GetRequiredService<ICertLibraryDatabase>().OpenConnectionAsync(cancellationToken))
        {
            await ClientApplications.SyncMissingAsync(connection, cancellationToken);
        }

        // Builds EF Core's model and OpenIddict's stores once now, not inside the first requests (a second or more of warm-up).
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>()
                .FindByClientIdAsync(options.Value.AdminClientId ?? "certlib-portal", cancellationToken);
        }

        await services.GetRequiredService<SigningKeyManager>().GetSigningCredentialsAsync(cancellationToken);
        await EnsureDataProtectionKeyAsync(cancellationToken);
    }

    /// <summary>
    /// Creates the first Data Protection key once for the whole deployment: nodes starting together on PostgreSQL are
    /// serialised by an advisory lock, so they do not each create (and protect with) a key the others have not loaded.
    /// </summary>
    private async Task EnsureDataProtectionKeyAsync(CancellationToken cancellationToken)
    {
        var database = services.GetRequiredService<ICertLibraryDatabase>();
        var repository = services.GetRequiredService<DatabaseXmlRepository>();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = database.Dialect == SqlDialect.PostgreSql ? await connection.BeginTransactionAsync(cancellationToken) : null;
        if (transaction is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = DataProtectionLockKey }, transaction,
                cancellationToken: cancellationToken));
        }

        if (!await repository.AnyAsync(connection, transaction, cancellationToken))
        {
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var lifetime = services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.NewKeyLifetime;
            services.GetRequiredService<IKeyManager>().CreateNewKey(now, now + lifetime);
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
