using CertLibrary.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>Registers the OpenID Connect provider.</summary>
public static class IdentityServiceCollectionExtensions
{
    /// <summary>
    /// Adds the provider's services, migrations and start-up bootstrap (administrator client). Reads
    /// <c>Identity:*</c>, <c>CERTLIB_ISSUER</c>, <c>CERTLIB_ADMIN_CLIENT_ID</c> and <c>CERTLIB_ADMIN_CLIENT_SECRET</c>.
    /// Needs a database backend (<c>UseSqlite</c>/<c>UsePostgreSql</c>) and the master key
    /// (<see cref="DataServiceCollectionExtensions.AddCertLibraryData"/>, which <c>AddCertStore</c> also calls). Safe to call twice.
    /// </summary>
    public static IServiceCollection AddCertLibraryIdentity(this IServiceCollection services, IConfiguration configuration, Action<IdentityOptions>? configure = null)
    {
        services.AddOptions<IdentityOptions>()
            .Bind(configuration.GetSection("Identity"))
            .Configure(options =>
            {
                options.Issuer = NullIfEmpty(configuration["CERTLIB_ISSUER"]) ?? options.Issuer;
                options.AdminClientId = NullIfEmpty(configuration["CERTLIB_ADMIN_CLIENT_ID"]) ?? options.AdminClientId;
                options.AdminClientSecret = NullIfEmpty(configuration["CERTLIB_ADMIN_CLIENT_SECRET"]) ?? options.AdminClientSecret;
                configure?.Invoke(options);
            })
            .Validate(o => o.AccessTokenLifetime > TimeSpan.Zero && o.AuthorizationCodeLifetime > TimeSpan.Zero
                && o.AuthorizationCodeLifetime <= TimeSpan.FromSeconds(60), "Token lifetimes must be positive; codes live at most 60 s.")
            .Validate(o => o.SigningKeyAnnouncePeriod < o.SigningKeyLifetime, "The signing key announce period must be shorter than the key lifetime.")
            .Validate(o => o.Issuer is null || Uri.TryCreate(o.Issuer, UriKind.Absolute, out _), "Identity:Issuer / CERTLIB_ISSUER must be an absolute URL.")
            .Validate(o => o.BackChannelLogoutTimeout > TimeSpan.Zero && o.BackChannelLogoutAttempts is >= 1 and <= 10
                && o.BackChannelLogoutRetryDelay >= TimeSpan.Zero && o.BackChannelLogoutPollInterval > TimeSpan.Zero,
                "Back-channel logout: timeout and poll interval positive, 1–10 attempts, retry delay not negative.")
            .Validate(o => o.RevocationCheckInterval >= TimeSpan.Zero && o.RevocationCheckInterval <= TimeSpan.FromMinutes(5),
                "Identity:RevocationCheckInterval must be between 0 and 5 minutes.")
            .Validate(o => (o.AdminClientId is null) == (o.AdminClientSecret is null), "Set both CERTLIB_ADMIN_CLIENT_ID and CERTLIB_ADMIN_CLIENT_SECRET, or neither.")
            .ValidateOnStart();

        if (services.Any(d => d.ServiceType == typeof(IdentityMarker)))
        {
            return services;
        }

        services.AddSingleton<IdentityMarker>();
        services.AddCertLibraryData();
        services.TryAddSingleton<ClientManager>();
        services.TryAddSingleton<ClientConsentManager>();
        services.TryAddSingleton<CitizenManager>();
        services.TryAddSingleton<TotpManager>();
        services.TryAddSingleton<SigningKeyManager>();
        services.TryAddSingleton<TokenFactory>();
        services.TryAddSingleton<IssuerResolver>();
        services.TryAddSingleton<SessionStore>();
        services.TryAddSingleton<IssuerHandlers>();
        services.TryAddSingleton(sp => new AccessTokenRevocation(
            sp.GetRequiredService<ICertLibraryDatabase>(), sp.GetRequiredService<IOptions<IdentityOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<SessionCookie>();
        services.TryAddSingleton<AuthorizeEndpoint>();
        services.TryAddSingleton<BackChannelLogoutNotifier>();
        services.TryAddSingleton(sp => new CitizenSessions(sp.GetRequiredService<SessionStore>(), sp.GetRequiredService<SessionCookie>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService(sp => sp.GetRequiredService<BackChannelLogoutNotifier>());
        services.AddHttpClient(BackChannelLogoutNotifier.HttpClientName, (sp, http) =>
                http.Timeout = sp.GetRequiredService<IOptions<IdentityOptions>>().Value.BackChannelLogoutTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        // Secure whenever the request is https (directly, or as X-Forwarded-Proto from a trusted proxy says), so the token
        // never travels in clear next to the https pages it protects; plain http (development) still works.
        services.AddAntiforgery(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);

        // One key ring for every node (in the shared database, encrypted with a master-key-derived key) under a fixed
        // application name: a token protected by one node is read by any other.
        services.AddDataProtection().SetApplicationName("CertLibrary");
        services.TryAddSingleton<DatabaseXmlRepository>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>, ConfigureDataProtectionKeys>();
        OpenIddictServerSetup.AddServer(services);
        services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, ProviderInputFilter.StartupFilter>();
        services.AddMigrations(new MigrationSource("identity", typeof(IdentityServiceCollectionExtensions).Assembly));
        services.AddHostedService<IdentityBootstrapper>();
        return services;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private sealed class IdentityMarker;
}
