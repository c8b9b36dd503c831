using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace PatternOne.ServiceDefaults.Shutdown;

/// <summary>
/// Flushes telemetry once the host has stopped, for at most <see cref="Budget"/>. Without a bound the last export
/// waits out the OTLP exporter's timeout (10 s) when the collector is already gone — which is what happens on every
/// local stop: DCP stops the dashboard, the OTLP endpoint, together with the services, and Aspire turns on the exporter's
/// in-memory retry (<c>OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY</c>). Measured before this bound: each service exited ~10 s
/// after its SIGTERM, the whole idle stack took 13–15 s to stop. The export threads are background threads, so an
/// export still retrying does not hold the process once the budget is spent.
/// </summary>
internal sealed class TelemetryFlushOnStop(IServiceProvider services) : IHostedLifecycleService
{
    /// <summary>A healthy collector takes milliseconds; a gone one gets no more than this.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        var budget = (int)Budget.TotalMilliseconds;
        var tracer = services.GetService<TracerProvider>();
        var meter = services.GetService<MeterProvider>();
        var logs = services.GetService<LoggerProvider>();

        // In parallel: each provider waits for its own exporter, and the budget is for the stop, not per signal.
        return Task.WhenAll(
            Task.Run(() => tracer?.Shutdown(budget), CancellationToken.None),
            Task.Run(() => meter?.Shutdown(budget), CancellationToken.None),
            Task.Run(() => logs?.Shutdown(budget), CancellationToken.None));
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
