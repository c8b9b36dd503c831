using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary><c>kv-cache-utilization-scorer</c>: <c>1 − kvUsage</c>.</summary>
internal sealed class KvCacheUtilizationScorer(string name) : SchedulingPlugin<KvCacheUtilizationScorer>(name), IScorer, IPluginFactory
{
    public static string PluginType => "kv-cache-utilization-scorer";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new KvCacheUtilizationScorer(name);

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            scores[i] = 1.0 - candidates[i].KvCacheUsage;
        }
    }
}
