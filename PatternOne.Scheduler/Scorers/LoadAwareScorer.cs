using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary>
/// <c>load-aware-scorer</c> (llm-d): idle queue → 0.5; <c>q ≥ threshold</c> → 0; otherwise <c>0.5·(1 − q/threshold)</c>.
/// The ceiling of 0.5 is by design: it keeps load a tie-breaker against affinity scorers at equal weight.
/// </summary>
internal sealed class LoadAwareScorer(string name, int threshold) : SchedulingPlugin<LoadAwareScorer>(name), IScorer, IPluginFactory
{
    /// <summary>Upstream default queue threshold.</summary>
    public const int DefaultThreshold = 128;

    public static string PluginType => "load-aware-scorer";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new LoadAwareScorer(name, parameters.GetInt("threshold", DefaultThreshold, min: 1));

    public int Threshold { get; } = threshold;

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            var queue = candidates[i].QueueEstimate;
            scores[i] = queue <= 0 ? 0.5 : queue >= Threshold ? 0.0 : 0.5 * (1.0 - (double)queue / Threshold);
        }
    }
}
