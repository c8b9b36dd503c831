using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PatternOne.ServiceDefaults.Shutdown;

/// <summary>
/// Starts the drain when the host starts stopping, before any hosted service (Kestrel included) stops:
/// <code>
///  SIGTERM ─▶ StoppingAsync: DrainState.Begin (readiness fails)
///             FinishInFlight:    return; Kestrel closes its listeners and waits for in-flight requests,
///                                which end by themselves or at DrainState.Deadline
///             ServeWhileUnready: wait the drain timeout, then return; Kestrel closes its listeners
///          ─▶ StopAsync of every hosted service ─▶ StoppedAsync ─▶ exit 0
/// </code>
/// </summary>
internal sealed partial class GracefulShutdown(
    DrainState state, IOptions<DrainOptions> options, DrainStyle style, TimeProvider timeProvider, ILogger<GracefulShutdown> logger)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.DrainTimeout;
        state.Begin(timeout, timeProvider);
        LogDraining(logger, style, timeout);
        if (style != DrainStyle.ServeWhileUnready || timeout <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(timeout, timeProvider, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Stopping: readiness fails from now; drain {Style} for up to {DrainTimeout}")]
    private static partial void LogDraining(ILogger logger, DrainStyle style, TimeSpan drainTimeout);
}

/// <summary>Unhealthy (not ready) while the service drains.</summary>
internal sealed class DrainingHealthCheck(DrainState state) : IHealthCheck
{
    public const string Name = "draining";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsDraining ? HealthCheckResult.Unhealthy("Draining: the service is shutting down.") : HealthCheckResult.Healthy());
}
