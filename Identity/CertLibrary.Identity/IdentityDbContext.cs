using CertLibrary.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace CertLibrary.Identity;

/// <summary>
/// OpenIddict's EF Core model on the project's database, under this module's table names. The schema comes from the
/// module's SQL migration (<c>V009_openiddict.sql</c>, generated once per dialect with <c>GenerateCreateScript</c>);
/// EF Core never creates or migrates anything.
/// </summary>
internal sealed class IdentityDbContext(DbContextOptions<IdentityDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreApplication>().ToTable("identity_oidc_applications");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreAuthorization>().ToTable("identity_oidc_authorizations");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreScope>().ToTable("identity_oidc_scopes");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreToken>().ToTable("identity_oidc_tokens");
    }

    /// <summary>Points a context at the project's database: a pooled connection of <see cref="ICertLibraryDatabase"/>, owned by the context.</summary>
    public static void Configure(DbContextOptionsBuilder builder, ICertLibraryDatabase database)
    {
        // The pool hands out an open connection; SQLite opens in process and Npgsql's pool answers at once when warm.
        var connection = database.OpenConnectionAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (database.Dialect == SqlDialect.PostgreSql)
        {
            builder.UseNpgsql(connection, contextOwnsConnection: true);
        }
        else
        {
            builder.UseSqlite(connection, contextOwnsConnection: true).AddInterceptors(SqliteWriteGate.Instance);
        }

        builder.UseOpenIddict();
    }
}

/// <summary>
/// OpenIddict's application manager with the project's client-secret hashing: secrets are 256-bit random values, stored
/// as a plain SHA-256 (<see cref="SecretHasher"/>), so the token endpoint is not capped by a password hash.
/// </summary>
internal sealed class ClientApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(SecretHasher.Hash(secret));

    protected override ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(SecretHasher.Verify(secret, comparand));
}
