using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary><c>kv-cache-utilization-scorer</c>: <c>1 − kvUsage</c>.</summary>
internal sealed class KvCacheUtilizationScorer(string name) : IScorer
{
    public string Type => PluginTypes.KvCacheUtilizationScorer;

    public string Name { get; } = name;

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            scores[i] = 1.0 - candidates[i].KvCacheUsage;
        }
    }
}
