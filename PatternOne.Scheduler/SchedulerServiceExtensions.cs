using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.ExtProc;
using PatternOne.Scheduler.Metrics;
using PatternOne.Scheduler.Objectives;
using PatternOne.Scheduler.Observability;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using PatternOne.ServiceDefaults;
using PatternOne.ServiceDefaults.Prometheus;
using PatternOne.ServiceDefaults.Shutdown;
using k8s;

namespace PatternOne.Scheduler;

/// <summary>Composition of the scheduler service: <c>builder.AddScheduler()</c>, then <c>app.MapScheduler()</c>.</summary>
public static class SchedulerServiceExtensions
{
    private const string ReadyTag = "ready";

    public static TBuilder AddScheduler<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.SectionName).ValidateOnStart();
        services.AddOptions<InferencePoolOptions>().BindConfiguration(InferencePoolOptions.SectionName).ValidateOnStart();
        services.AddOptions<MetricsScrapeOptions>().BindConfiguration(MetricsScrapeOptions.SectionName).ValidateOnStart();
        services.AddOptions<ExtProcOptions>().BindConfiguration(ExtProcOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SchedulerOptions>, SchedulerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InferencePoolOptions>, InferencePoolOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsScrapeOptions>, MetricsScrapeOptionsValidator>());
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, SchedulerKestrelSetup>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Random.Shared);
        services.AddSingleton(provider => new EndpointPool(new EndpointStateSettings
        {
            TimeProvider = provider.GetRequiredService<TimeProvider>(),
            InFlightTtl = provider.GetRequiredService<IOptions<SchedulerOptions>>().Value.InFlightTtl,
            UnhealthyAfterFailures = provider.GetRequiredService<IOptions<MetricsScrapeOptions>>().Value.UnhealthyAfterFailures,
            RoutedWindow = provider.GetRequiredService<IOptions<MetricsScrapeOptions>>().Value.Interval,
        }));
        services.AddSingleton<ObjectiveRegistry>();
        services.AddSingleton<SchedulerMetrics>();
        services.AddSingleton(CreateScheduler);
        services.AddSingleton<IScheduler>(sp => sp.GetRequiredService<SwitchableScheduler>());

        var discovery = builder.Configuration.GetValue(SchedulerSettings.Keys.PoolDiscovery, DiscoveryMode.Static);
        if (discovery is DiscoveryMode.Kubernetes or DiscoveryMode.InferencePool)
        {
            services.TryAddSingleton(_ => new Kubernetes(KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile()));
            if (discovery == DiscoveryMode.InferencePool)
            {
                // The InferencePool object chooses the pods; the watcher follows it.
                services.AddSingleton<PoolSelectionSource>();
                services.AddHostedService<InferencePoolWatcher>();
            }
            else
            {
                services.AddSingleton(sp => new PoolSelectionSource(sp.GetRequiredService<IOptions<InferencePoolOptions>>().Value.ConfiguredSelection()));
            }

            services.AddHostedService<KubernetesDiscovery>();
            services.AddHostedService<KubernetesObjectiveWatcher>();
        }
        else
        {
            services.AddHostedService<StaticDiscovery>();
        }

        // Plain handler: the scrape has its own timeout and a stale result is the designed failure mode, so the
        // resilience pipeline's retries would only delay the staleness signal.
        services.AddHttpClient(MetricsScraper.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            // With --model-server-metrics-scheme https the model servers present self-signed certificates (KServe's);
            // upstream skips verification by default (--model-server-metrics-https-insecure-skip-verify=true).
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }).RemoveAllLoggers(); // 20 scrapes a second per endpoint would drown every other log line
        services.AddHostedService<MetricsScraper>();
        services.AddHostedService<ScrapeIntervalCheck>();

        services.AddSingleton<MetricsScrapedHealthCheck>(); // one instance, so "ready" stays sticky
        services.AddGrpc(options => options.MaxReceiveMessageSize = 16 * 1024 * 1024);
        // Upstream's drain (--drain-timeout): readiness NOT_SERVING while ext_proc keeps serving, for the whole timeout;
        // the gateway only learns of the stop through readiness. Zero unless upstream's command line or configuration sets it.
        builder.AddGracefulShutdown(SchedulerOptions.SectionName, TimeSpan.Zero, DrainStyle.ServeWhileUnready);

        services.AddGrpcHealthChecks(options =>
        {
            options.Services.Map("", _ => true);
            options.Services.Map(SchedulerHealthServices.Liveness, result => result.Tags.Contains(HealthEndpoints.LiveTag));
            options.Services.Map(SchedulerHealthServices.Readiness, _ => true);
            options.Services.Map(SchedulerHealthServices.ExtProc, _ => true);
        })
        .AddCheck("scheduler-process", () => HealthCheckResult.Healthy(), tags: [HealthEndpoints.LiveTag])
        .AddCheck<PoolSyncedHealthCheck>("inference-pool", tags: [ReadyTag])
        .AddCheck<MetricsScrapedHealthCheck>("endpoint-metrics", tags: [ReadyTag]);

        return builder;
    }

    public static WebApplication MapScheduler(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value;
        app.MapGrpcService<ExternalProcessorService>().RequireHost($"*:{options.ExtProcPort}");
        app.MapGrpcHealthChecksService().RequireHost($"*:{options.HealthPort}");
        app.MapGet("/metrics", (SchedulerMetrics metrics, IScheduler scheduler) =>
                Results.Text(metrics.Render(scheduler), PrometheusText.ContentType))
            .RequireHost($"*:{options.MetricsPort}");
        if (options.AdminPort != 0)
        {
            app.MapProfileAdmin().RequireHost($"*:{options.AdminPort}");
        }

        app.MapDefaultEndpoints();
        return app;
    }

    private static SwitchableScheduler CreateScheduler(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SchedulerOptions>>().Value;
        var pickerOptions = new SchedulerEnvironment
        {
            TimeProvider = services.GetRequiredService<TimeProvider>(),
            Random = services.GetRequiredService<Random>(),
            Observer = services.GetRequiredService<SchedulerMetrics>(),
        };
        var scheduler = new SwitchableScheduler(
            !string.IsNullOrWhiteSpace(options.ConfigFile)
                ? SchedulerFactory.FromYaml(File.ReadAllText(options.ConfigFile), pickerOptions)
                : !string.IsNullOrWhiteSpace(options.ConfigText)
                    ? SchedulerFactory.FromYaml(options.ConfigText, pickerOptions)
                    : SchedulerFactory.Create(options.Profile, pickerOptions),
            name => SchedulerFactory.Create(name, pickerOptions));

        // Endpoints that leave are forgotten, so a pod re-using an IP later starts with a clean slate.
        services.GetRequiredService<EndpointPool>().EndpointRemoved += endpoint => scheduler.ForgetEndpoint(endpoint.Address);
        return scheduler;
    }
}

/// <summary>Ready once discovery has delivered the pool (upstream: "datastore synced").</summary>
internal sealed class PoolSyncedHealthCheck(EndpointPool pool) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(pool.IsSynced
            ? HealthCheckResult.Healthy($"{pool.Endpoints.Count} endpoint(s) in the pool.")
            : HealthCheckResult.Unhealthy("Endpoint discovery has not completed yet."));
}

/// <summary>
/// Ready once at least one endpoint's metrics have been scraped successfully: before that every pick would be blind.
/// Stays ready afterwards (sticky): losing every replica later is the pool's trouble, not the scheduler's, and a
/// scheduler flapping to not-ready would only take routing away from the replicas that come back.
/// </summary>
internal sealed class MetricsScrapedHealthCheck(EndpointPool pool) : IHealthCheck
{
    private volatile bool _scraped;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        _scraped = _scraped || pool.Endpoints.Any(endpoint => endpoint.Metrics is not null);
        return Task.FromResult(_scraped
            ? HealthCheckResult.Healthy("Endpoint metrics have been scraped.")
            : HealthCheckResult.Unhealthy("No endpoint's metrics have been scraped yet."));
    }
}
