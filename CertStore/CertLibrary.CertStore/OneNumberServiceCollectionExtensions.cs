using CertLibrary.CertStore.Caching;
using CertLibrary.CertStore.OneNumber;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CertLibrary.CertStore;

/// <summary>Registers the one-number service (service items, consents, access log). Its tables come with the certstore migrations.</summary>
public static class OneNumberServiceCollectionExtensions
{
    /// <summary>Adds the stores and <see cref="OneNumberManager"/>; safe to call twice.</summary>
    public static IServiceCollection AddOneNumber(this IServiceCollection services)
    {
        services.TryAddSingleton<SqlOneNumberStore>();
        services.TryAddSingleton<IServiceItemStore>(sp => new CachingServiceItemStore(sp.GetRequiredService<SqlOneNumberStore>(), sp.GetRequiredService<TwoLevelCache>()));
        services.TryAddSingleton<IConsentStore>(sp => new CachingConsentStore(sp.GetRequiredService<SqlOneNumberStore>(), sp.GetRequiredService<TwoLevelCache>()));
        services.TryAddSingleton<IAccessLogStore>(sp => new GroupCommitAccessLog(sp.GetRequiredService<SqlOneNumberStore>()));
        services.TryAddSingleton<OneNumberManager>();
        services.AddOptions<ProgressNoticeOptions>().Configure<IServiceProvider>((o, sp) =>
        {
            var configuration = sp.GetService<IConfiguration>();
            if (o.GatewayUrl is null && configuration?["CERTLIB_NOTICE_WEBHOOK_URL"] is { Length: > 0 } url)
            {
                o.GatewayUrl = new Uri(url, UriKind.Absolute);
            }

            o.Secret ??= configuration?["CERTLIB_NOTICE_WEBHOOK_SECRET"];
        });
        if (!services.Any(d => d.ServiceType == typeof(ProgressNoticeDispatcher)))
        {
            services.AddSingleton<ProgressNoticeDispatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<ProgressNoticeDispatcher>());
        }
        return services;
    }
}
