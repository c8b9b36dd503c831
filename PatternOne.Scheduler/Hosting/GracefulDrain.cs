using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PatternOne.Scheduler.Hosting;

/// <summary>
/// Upstream's graceful drain on SIGTERM: readiness turns NOT_SERVING at once, so Kubernetes takes the pod out of the
/// Service, while ext_proc keeps answering the gateway's streams for <c>--drain-timeout</c>; then the host stops.
/// <code>
///  SIGTERM ─▶ draining (readiness, ext_proc health: NOT_SERVING; liveness: SERVING) ─▶ drain timeout ─▶ listeners close
/// </code>
/// The wait runs in <see cref="StoppingAsync"/>, before any hosted service (Kestrel included) stops.
/// </summary>
internal sealed partial class GracefulDrain(
    DrainState state, IOptions<SchedulerOptions> options, TimeProvider timeProvider, ILogger<GracefulDrain> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.DrainTimeout;
        state.Begin();
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        LogDraining(logger, timeout);
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

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Stopping: readiness is NOT_SERVING; ext_proc keeps serving for {DrainTimeout}")]
    private static partial void LogDraining(ILogger logger, TimeSpan drainTimeout);
}

/// <summary>Whether the scheduler is draining (shutting down).</summary>
public sealed class DrainState
{
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public void Begin() => _draining = true;
}

/// <summary>Not ready while draining.</summary>
internal sealed class DrainingHealthCheck(DrainState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsDraining ? HealthCheckResult.Unhealthy("Draining: the scheduler is shutting down.") : HealthCheckResult.Healthy());
}
