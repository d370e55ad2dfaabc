using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using CertLibrary.CertStore.Caching;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Transparency;
using OpenTelemetry.Metrics;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// OpenTelemetry metrics, scraped at <c>GET /metrics</c> in Prometheus text format: ASP.NET Core's request rates and
/// durations, the cache (<c>CertLibrary.Cache</c>) and its hit ratio, signing time in the issue path and the size of
/// the transparency log. No instrument carries personal data: tags are routes, methods, status codes and outcomes.
/// </summary>
public static class CertLibraryMetrics
{
    /// <summary>The API's own meter.</summary>
    public const string MeterName = "CertLibrary.Api";

    /// <summary>Where Prometheus scrapes.</summary>
    public const string ScrapePath = "/metrics";

    public static IServiceCollection AddCertLibraryMetrics(this IServiceCollection services)
    {
        services.AddSingleton<ApiInstruments>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting",
                "Microsoft.AspNetCore.Diagnostics", CacheMetrics.MeterName, MeterName)
            .AddPrometheusExporter());

        // Time every signature made in the issue path: decorate the certificate signer the store registered.
        if (services.LastOrDefault(d => d.ServiceType == typeof(ICertificateSigner)) is { ImplementationType: { } signerType } descriptor)
        {
            services.Remove(descriptor);
            services.AddSingleton<ICertificateSigner>(sp => new TimedCertificateSigner(
                (ICertificateSigner)ActivatorUtilities.CreateInstance(sp, signerType), sp.GetRequiredService<ApiInstruments>()));
        }

        return services;
    }

    public static WebApplication MapCertLibraryMetrics(this WebApplication app)
    {
        // The log size is read once per scrape, before the exporter collects the gauge.
        app.UseWhen(c => c.Request.Path.Equals(ScrapePath, StringComparison.Ordinal), branch => branch.Use(async (context, next) =>
        {
            await context.RequestServices.GetRequiredService<ApiInstruments>().RefreshAsync(context.RequestServices, context.RequestAborted);
            await next(context);
        }));
        app.MapPrometheusScrapingEndpoint(ScrapePath).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>The instruments of <see cref="MeterName"/>.</summary>
    internal sealed class ApiInstruments : IDisposable
    {
        private readonly Meter _meter = new(MeterName);
        private long _logSize = -1;

        public ApiInstruments(IServiceProvider services)
        {
            SigningDuration = _meter.CreateHistogram<double>("certlib.signing.duration", unit: "s",
                description: "Time to sign one certificate payload with every suite of its issuer (SM2 + ES256)");
            _meter.CreateObservableGauge("certlib.log.size", () => Interlocked.Read(ref _logSize) is var size and >= 0 ? [new Measurement<long>(size)] : Array.Empty<Measurement<long>>(),
                unit: "{entry}", description: "Entries in the transparency log");
            _meter.CreateObservableGauge("certlib.cache.hit_ratio", () =>
            {
                if (services.GetService<CacheMetrics>() is not { } cache || cache.Hits + cache.Misses == 0)
                {
                    return Array.Empty<Measurement<double>>();
                }

                return [new Measurement<double>((double)cache.Hits / (cache.Hits + cache.Misses))];
            }, description: "Cached reads served from a cache level, over all cached reads since start");
        }

        public Histogram<double> SigningDuration { get; }

        public async Task RefreshAsync(IServiceProvider services, CancellationToken cancellationToken)
        {
            try
            {
                Interlocked.Exchange(ref _logSize, await services.GetRequiredService<ILogReader>().GetTreeSizeAsync(cancellationToken));
            }
            catch (Exception e) when (services.GetRequiredService<Data.ICertLibraryDatabase>().IsTransientFailure(e))
            {
                // Database unreachable: the gauge keeps its last value; readiness reports the outage.
            }
        }

        public void Dispose() => _meter.Dispose();
    }

    private sealed class TimedCertificateSigner(ICertificateSigner inner, ApiInstruments instruments) : ICertificateSigner
    {
        public async Task<IIssuerSigner> ForIssuerAsync(string issuerCode, CancellationToken cancellationToken) =>
            new TimedIssuerSigner(await inner.ForIssuerAsync(issuerCode, cancellationToken), instruments);
    }

    private sealed class TimedIssuerSigner(IIssuerSigner inner, ApiInstruments instruments) : IIssuerSigner
    {
        public JsonObject Sign(ReadOnlySpan<byte> payload)
        {
            var started = Stopwatch.GetTimestamp();
            var signature = inner.Sign(payload);
            instruments.SigningDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            return signature;
        }
    }
}
