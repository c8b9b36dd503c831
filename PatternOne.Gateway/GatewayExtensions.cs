using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using PatternOne.Gateway;
using PatternOne.Gateway.Forwarding;
using PatternOne.Gateway.Listeners;
using PatternOne.Gateway.Observability;
using PatternOne.Gateway.Picking;
using PatternOne.Gateway.Pools;
using PatternOne.Gateway.Routing;
using PatternOne.Gateway.Tls;
using PatternOne.ServiceDefaults.Shutdown;

namespace Microsoft.Extensions.Hosting;

/// <summary>The gateway's composition: <c>builder.AddGateway()</c> and <c>app.MapGateway()</c>.</summary>
public static class GatewayExtensions
{
    /// <summary>Path of the Prometheus text on the metrics port, as Istio's gateway (<c>:15090/stats/prometheus</c>).</summary>
    public const string PrometheusPath = "/stats/prometheus";

    public static TBuilder AddGateway<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        builder.AddGracefulShutdown(GatewayOptions.SectionName, GatewayOptions.DefaultDrainTimeout, DrainStyle.FinishInFlight);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayListeners>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, GatewayKestrelSetup>();

        // The certificate store exists only when TLS is configured; it loads the pair on first use and watches the files.
        services.AddSingleton<PemCertificateStore>();
        services.AddSingleton<IServerCertificateStore>(sp => sp.GetRequiredService<PemCertificateStore>());
        services.AddHostedService<CertificateWatchStarter>();

        services.AddSingleton<IRouteTable, RouteTable>();
        services.AddSingleton<PoolViews>();
        services.AddHostedService<PoolHealthProber>();
        services.AddSingleton<IEndpointPickerClient, ExtProcEndpointPickerClient>();
        // Readiness waits for the pickers' warm-up at start-up (bounded); the picker's later state shows in /health only.
        services.AddSingleton<PickerWarmup>();
        services.AddHostedService(sp => sp.GetRequiredService<PickerWarmup>());
        services.AddHealthChecks()
            .AddCheck<EndpointPickerHealthCheck>(EndpointPickerHealthCheck.Name, tags: [EndpointPickerHealthCheck.Tag])
            .Add(new HealthCheckRegistration(PickerWarmup.Name, sp => sp.GetRequiredService<PickerWarmup>(), failureStatus: null, tags: null));
        services.AddSingleton<UpstreamHttpClient>();
        services.AddHttpForwarder();
        services.AddSingleton<GatewayRequestHandler>();

        services.AddSingleton<GatewayMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName)
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    /// <summary>Dispatches each request by the listener it arrived on: status, metrics, or the gateway itself.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        var listeners = app.Services.GetRequiredService<GatewayListeners>();
        app.MapWhen(context => listeners.KindOf(context.Connection.LocalPort) == ListenerKind.Status, StatusEndpoints.Map);
        app.MapWhen(context => listeners.KindOf(context.Connection.LocalPort) == ListenerKind.Metrics, metrics =>
        {
            metrics.UseOpenTelemetryPrometheusScrapingEndpoint(PrometheusPath);
            metrics.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });

        var handler = app.Services.GetRequiredService<GatewayRequestHandler>();
        app.Run(handler.HandleAsync);
        return app;
    }

    /// <summary>Starts the certificate watcher only when the HTTPS listener is configured.</summary>
    private sealed class CertificateWatchStarter(IOptions<GatewayOptions> options, IServiceProvider services) : IHostedService
    {
        private PemCertificateStore? _store;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (!options.Value.Tls.IsConfigured)
            {
                return Task.CompletedTask;
            }

            _store = services.GetRequiredService<PemCertificateStore>();
            return _store.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => _store?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }
}
