using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Saturation;

/// <summary>
/// <c>utilization-detector</c> used as a filter: drops endpoints that are saturated (stale metrics, queue or KV
/// over threshold) so a dead or overloaded replica stops receiving traffic even when the prefix scorer loves it.
/// Fails open — keeps the list — when every candidate is saturated; whether to reject then is admission's call.
/// </summary>
internal sealed class SaturationFilter(string name, SaturationThresholds thresholds) : SchedulingPlugin<SaturationFilter>(name), IFilter, IPluginFactory
{
    public static string PluginType => "utilization-detector";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new SaturationFilter(name, SaturationThresholds.FromParameters(parameters));

    public SaturationThresholds Thresholds { get; } = thresholds;

    public void Filter(SchedulingContext context, List<EndpointSnapshot> candidates)
    {
        var now = context.Now;
        var keep = 0;
        foreach (var candidate in candidates)
        {
            if (!Thresholds.IsSaturated(candidate, now))
            {
                keep++;
            }
        }

        if (keep == 0 || keep == candidates.Count)
        {
            return;
        }

        candidates.RemoveAll(candidate => Thresholds.IsSaturated(candidate, now));
    }
}
