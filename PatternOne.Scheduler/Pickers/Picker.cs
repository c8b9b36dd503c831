using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary>What every picker shares: upstream's <c>maxNumOfEndpoints</c> and taking the best of an ordering.</summary>
/// <typeparam name="TSelf">The concrete picker class.</typeparam>
internal abstract class Picker<TSelf>(string name, int maxEndpoints) : SchedulingPlugin<TSelf>(name), IPicker
    where TSelf : IPluginFactory
{
    public int MaxEndpoints { get; } = maxEndpoints;

    public abstract void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked);

    /// <summary>Adds the first <see cref="MaxEndpoints"/> of <paramref name="order"/> (best first) to <paramref name="picked"/>.</summary>
    protected void TakeBest(ReadOnlySpan<int> order, List<int> picked)
    {
        var take = Math.Min(MaxEndpoints, order.Length);
        for (var i = 0; i < take; i++)
        {
            picked.Add(order[i]);
        }
    }
}
