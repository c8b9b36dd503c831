using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary>
/// <c>queue-scorer</c>: <c>(maxQ − q) / (maxQ − minQ)</c> over the candidates' queues; all equal → 1. The queue is
/// <see cref="EndpointSnapshot.QueueEstimate"/>: scraped waiting plus the requests routed since that scrape.
/// </summary>
internal sealed class QueueScorer(string name) : SchedulingPlugin<QueueScorer>(name), IScorer, IPluginFactory
{
    public static string PluginType => "queue-scorer";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new QueueScorer(name);

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        if (candidates.Count == 0)
        {
            return;
        }

        var min = int.MaxValue;
        var max = int.MinValue;
        for (var i = 0; i < candidates.Count; i++)
        {
            var queue = candidates[i].QueueEstimate;
            min = Math.Min(min, queue);
            max = Math.Max(max, queue);
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            scores[i] = max == min ? 1.0 : (double)(max - candidates[i].QueueEstimate) / (max - min);
        }
    }
}
