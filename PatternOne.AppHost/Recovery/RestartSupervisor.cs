using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PatternOne.AppHost.Recovery;

/// <summary>
/// Restarts resources marked with <see cref="RestartPolicyAnnotation"/> that exit unexpectedly, with backoff, and shows
/// the count on the dashboard (<see cref="RecoveryProperties.Restarts"/>).
/// <code>
///  Running ──process exits (crash, SIGKILL, OOM)──▶ Exited ──backoff──▶ Start command ──▶ Running   (restarts + 1)
///  Running ──Stop (dashboard, command, AppHost shutdown)──▶ Stopping ──▶ Exited                     (left stopped)
/// </code>
/// A stop always passes through <c>Stopping</c>; an exit the orchestrator did not ask for goes straight from a running
/// state to a terminal one. That is the whole distinction, so a stop from the dashboard is respected. Once the AppHost
/// itself is stopping nothing is restarted, whatever the order in which its resources go down.
/// </summary>
internal sealed class RestartSupervisor(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<RestartSupervisor> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Supervised> _supervised = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken hostedServiceStopping)
    {
        // The AppHost's stop begins before this service's own stop is called (hosted services stop one by one), and the
        // resources may already be exiting then: a restart in that window would outlive the AppHost.
        using var appStopping = CancellationTokenSource.CreateLinkedTokenSource(hostedServiceStopping, lifetime.ApplicationStopping);
        var stoppingToken = appStopping.Token;
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!update.Resource.TryGetLastAnnotation<RestartPolicyAnnotation>(out var policy)
                    || !model.Resources.Contains(update.Resource))
                {
                    continue;
                }

                var supervised = _supervised.GetOrAdd(update.ResourceId, _ => new Supervised(update.Resource, policy));
                OnUpdate(supervised, update, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping; so is every resource.
        }
    }

    private void OnUpdate(Supervised supervised, ResourceEvent update, CancellationToken stoppingToken)
    {
        var state = update.Snapshot.State?.Text;
        var previous = supervised.State;
        supervised.State = state;
        if (state == previous)
        {
            return;
        }

        if (state == KnownResourceStates.Stopping)
        {
            supervised.StopRequested = true;
            return;
        }

        if (state == KnownResourceStates.Running)
        {
            supervised.StopRequested = false;
            supervised.RunningSince = time.GetTimestamp();
            return;
        }

        if (state is null || !KnownResourceStates.TerminalStates.Contains(state) || supervised.StopRequested || previous is null
            || KnownResourceStates.TerminalStates.Contains(previous) || previous == KnownResourceStates.NotStarted)
        {
            return;
        }

        var backoff = supervised.NextBackoff(time);
        var exitCode = update.Snapshot.ExitCode;
        RecoveryLog.Exited(logger, supervised.Resource.Name, exitCode, backoff.TotalSeconds);
        _ = RestartAfterAsync(supervised, update.ResourceId, exitCode, backoff, stoppingToken);
    }

    private async Task RestartAfterAsync(Supervised supervised, string resourceId, int? exitCode, TimeSpan backoff, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(backoff, time, stoppingToken);
            if (supervised.StopRequested || supervised.State is not { } state || !KnownResourceStates.TerminalStates.Contains(state))
            {
                // Someone stopped or started it meanwhile: theirs is the last word.
                return;
            }

            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success)
            {
                RecoveryLog.RestartFailed(logger, supervised.Resource.Name, result.Message);
                return;
            }

            var restarts = Interlocked.Increment(ref supervised.Restarts);
            var reason = string.Create(CultureInfo.InvariantCulture,
                $"{time.GetUtcNow():HH:mm:ss} UTC, exit code {(exitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown")}");
            await notifications.PublishUpdateAsync(supervised.Resource, snapshot => snapshot with
            {
                Properties =
                [
                    .. snapshot.Properties.Where(p => p.Name is not (RecoveryProperties.Restarts or RecoveryProperties.LastRestart)),
                    new(RecoveryProperties.Restarts, restarts) { DisplayName = "Restarts" },
                    new(RecoveryProperties.LastRestart, reason) { DisplayName = "Last restart" },
                ],
            });
            RecoveryLog.Restarted(logger, supervised.Resource.Name, restarts);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (Exception ex)
        {
            RecoveryLog.RestartFailed(logger, supervised.Resource.Name, ex.Message);
        }
    }

    private sealed class Supervised(IResource resource, RestartPolicyAnnotation policy)
    {
        public int Restarts;

        public IResource Resource { get; } = resource;
        public string? State { get; set; }
        public bool StopRequested { get; set; }
        public long RunningSince { get; set; }
        private TimeSpan _backoff;

        /// <summary>The wait before this restart: doubled per consecutive crash, reset after a stable run.</summary>
        public TimeSpan NextBackoff(TimeProvider time)
        {
            var stable = RunningSince != 0 && time.GetElapsedTime(RunningSince) >= policy.StableAfter;
            _backoff = _backoff == TimeSpan.Zero || stable
                ? policy.InitialBackoff
                : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, policy.MaxBackoff.Ticks));
            return _backoff;
        }
    }
}

internal static partial class RecoveryLog
{
    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning,
        Message = "{Resource} exited unexpectedly (exit code {ExitCode}); restarting in {BackoffSeconds} s")]
    public static partial void Exited(ILogger logger, string resource, int? exitCode, double backoffSeconds);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "{Resource} restarted (restart {Restarts})")]
    public static partial void Restarted(ILogger logger, string resource, int restarts);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Error, Message = "{Resource} could not be restarted: {Reason}")]
    public static partial void RestartFailed(ILogger logger, string resource, string? reason);

}
