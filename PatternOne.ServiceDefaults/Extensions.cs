using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PatternOne.ServiceDefaults;
using PatternOne.ServiceDefaults.Shutdown;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The conventions every PatternOne service shares: OpenTelemetry (traces, metrics, logs over OTLP),
/// health checks, service discovery and resilient outgoing HTTP.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>ASP.NET Core's per-request hosting logger: an enabled one makes it start an Activity for every request.</summary>
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddBasicServiceDefaults();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>
    /// Telemetry and health without the resilience handler. The gateway and scheduler use this: they make
    /// their own retry and timeout decisions on the request path, and a generic retry policy there would
    /// replay non-idempotent inference calls.
    /// </summary>
    public static TBuilder AddBasicServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // Bounded, so a collector that is already gone (locally: the dashboard) cannot hold the process at exit.
        builder.Services.AddHostedService<TelemetryFlushOnStop>();

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddRuntimeInstrumentation()
                .AddMeter(builder.Environment.ApplicationName));

        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // No exporter, no tracing: spans that go nowhere still cost every request 3-4 Activity objects, their tags
            // and the listeners' work (~8% of the gateway's allocations per request, issue 11). With no listener the
            // services create no spans and pass the caller's traceparent through unchanged.
            // Nor the hosting layer's per-request Activity and log scope: ASP.NET Core creates both for every request
            // whenever its diagnostics logger is enabled at all, only to correlate logs that no exporter receives
            // (~5.6 KB of the gateway's ~33 KB per request; docs/performance.md). Its Information lines ("Request
            // starting/finished") are below the services' Warning level anyway; a startup failure still ends the
            // process with the exception on stderr.
            builder.Logging.AddFilter(HostingDiagnosticsCategory, LogLevel.None);
            // Nor the framework's HTTP server and client instruments: the gateway's Prometheus exporter would
            // otherwise aggregate them on every request and every ext_proc stream (~17% of its CPU samples),
            // duplicating its own request, pick and upstream metrics.
            return builder;
        }

        telemetry
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddAspNetCoreInstrumentation(options =>
                    // Probes and scrapes arrive many times a second; tracing them would drown the real requests.
                    options.Filter = context => !IsHousekeepingPath(context.Request.Path))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation(options =>
                    options.FilterHttpRequestMessage = request => !IsHousekeepingPath(request.RequestUri?.AbsolutePath)))
            .UseOtlpExporter();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> and <c>/alive</c> in every environment: unlike the Aspire template, PatternOne's
    /// services run in Kubernetes in Production and their probes need these endpoints there.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpoints.HealthPath);
        app.MapHealthChecks(HealthEndpoints.AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthEndpoints.LiveTag) });
        return app;
    }

    private static bool IsHousekeepingPath(string? path) =>
        path is not null
        && (path.StartsWith(HealthEndpoints.HealthPath, StringComparison.Ordinal)
            || path.StartsWith(HealthEndpoints.AlivePath, StringComparison.Ordinal)
            || path.StartsWith("/metrics", StringComparison.Ordinal)
            || path.StartsWith("/grpc.health", StringComparison.Ordinal));
}
