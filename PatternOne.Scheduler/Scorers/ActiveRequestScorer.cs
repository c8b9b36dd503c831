using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary>
/// <c>active-request-scorer</c> (llm-d): scores from the requests this scheduler has in flight to each endpoint,
/// which, unlike scraped queues, are never stale: a burst inside one 50 ms scrape interval still spreads.
/// Endpoints at or below <c>idleThreshold</c> score 1; busier ones <c>maxBusyScore·(1 − n/maxN)</c>, so the busiest scores 0.
/// </summary>
internal sealed class ActiveRequestScorer(string name, int idleThreshold, double maxBusyScore) : SchedulingPlugin<ActiveRequestScorer>(name), IScorer, IPluginFactory
{
    public static string PluginType => "active-request-scorer";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new ActiveRequestScorer(
        name, parameters.GetInt("idleThreshold", 0, min: 0), parameters.GetDouble("maxBusyScore", 1.0, min: 0, max: 1));

    public int IdleThreshold { get; } = idleThreshold;

    public double MaxBusyScore { get; } = maxBusyScore;

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        var max = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            max = Math.Max(max, candidates[i].InFlightRequests);
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            var inFlight = candidates[i].InFlightRequests;
            scores[i] = inFlight <= IdleThreshold ? 1.0 : MaxBusyScore * (1.0 - (double)inFlight / max);
        }
    }
}
