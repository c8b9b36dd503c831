using System.Globalization;
using Microsoft.Extensions.Hosting;
using PatternOne.AppHost.Inference;
using PatternOne.AppHost.Scheduling;

namespace PatternOne.AppHost.Operations;

/// <summary>
/// Keeps the dashboard's live state: every <see cref="Interval"/> it reads each replica's and the scheduler's
/// Prometheus page and publishes the figures as resource properties of the replicas, the pool and the scheduler.
/// One update per resource per interval, whatever the request rate, so the dashboard stays responsive under load.
/// <code>
/// AppHost ──GET /metrics every 2 s──▶ replicas (vLLM names)  ──▶ replica + pool properties
///         ──GET /metrics every 2 s──▶ scheduler (EPP names)  ──▶ scheduler properties
/// </code>
/// </summary>
internal sealed class LiveStateMonitor(
    DistributedApplicationModel model, ResourceNotificationService notifications, MetricsReader metrics, TimeProvider time)
    : BackgroundService
{
    /// <summary>How often the figures refresh (the issue asks for every one to two seconds).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<IResource, ReplicaReading> _replicaReadings = [];
    private readonly Dictionary<IResource, SchedulerReading> _schedulerReadings = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var pool in model.Resources.OfType<VllmPoolResource>())
                {
                    await UpdatePoolAsync(pool, stoppingToken);
                }

                foreach (var scheduler in model.Resources.OfType<ProjectResource>().Where(r => r.HasAnnotationOfType<EndpointPickerAnnotation>()))
                {
                    await UpdateSchedulerAsync(scheduler, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private async Task UpdatePoolAsync(VllmPoolResource pool, CancellationToken cancellationToken)
    {
        var readings = new List<(ReplicaReading Now, ReplicaReading? Before)>();
        foreach (var replica in pool.ReplicaBuilders.Select(b => b.Resource))
        {
            if (await metrics.ReadAsync(replica.GetEndpoint(VllmPoolBuilderExtensions.ReplicaEndpointName), cancellationToken) is not { } samples)
            {
                continue;
            }

            var now = ReplicaReading.From(samples, time.GetUtcNow());
            var before = _replicaReadings.GetValueOrDefault(replica);
            _replicaReadings[replica] = now;
            readings.Add((now, before));
            await PublishAsync(replica, LiveFigures.Of(now, before).ToProperties(Interval));
        }

        var reporting = new ResourcePropertySnapshot(LiveStateProperties.ReplicasReporting,
            string.Create(CultureInfo.InvariantCulture, $"{readings.Count} of {pool.ReplicaBuilders.Count}")) { DisplayName = "Replicas reporting" };
        await PublishAsync(pool, [.. LiveFigures.Aggregate(readings).ToProperties(Interval), reporting]);
    }

    private async Task UpdateSchedulerAsync(ProjectResource scheduler, CancellationToken cancellationToken)
    {
        if (await metrics.ReadAsync(scheduler.GetEndpoint(SchedulerBuilderExtensions.MetricsEndpointName), cancellationToken) is not { } samples)
        {
            return;
        }

        var pool = scheduler.Annotations.OfType<EndpointPickerAnnotation>().Single().Pool;
        var now = SchedulerReading.From(samples, time.GetUtcNow());
        var before = _schedulerReadings.GetValueOrDefault(scheduler);
        _schedulerReadings[scheduler] = now;
        await PublishAsync(scheduler, now.ToProperties(before, address => ReplicaNames.ByAddress(pool, address), Interval));
    }

    private Task PublishAsync(IResource resource, IEnumerable<ResourcePropertySnapshot> properties)
    {
        IReadOnlyList<ResourcePropertySnapshot> updates = [.. properties];
        return notifications.PublishUpdateAsync(resource, snapshot => snapshot with
        {
            Properties = [.. snapshot.Properties.Where(p => !updates.Any(n => n.Name == p.Name)), .. updates],
        });
    }
}
