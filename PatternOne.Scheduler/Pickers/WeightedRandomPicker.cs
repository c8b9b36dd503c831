using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary>
/// <c>weighted-random-picker</c>: A-Res weighted sampling without replacement — key <c>Uᵢ^(1/scoreᵢ)</c>, largest
/// keys win — so an endpoint is chosen first with probability proportional to its score. Endpoints scoring ≤ 0 come
/// last in random order; if every score is ≤ 0 the pick is uniform.
/// </summary>
internal sealed class WeightedRandomPicker(string name, int maxEndpoints) : Picker<WeightedRandomPicker>(name, maxEndpoints), IPluginFactory
{
    public static string PluginType => "weighted-random-picker";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new WeightedRandomPicker(name, PickerMath.MaxEndpoints(parameters));

    public override void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked)
    {
        var count = candidates.Count;
        var keys = new double[count];
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
            var u = context.Random.NextDouble();
            // Non-positive scores get a key below every positive one (those lie in [0,1]) but stay random among themselves.
            keys[i] = totals[i] > 0 ? Math.Pow(u, 1.0 / totals[i]) : u - 2.0;
        }

        // Ascending sort, so the largest keys (the winners) end up last.
        Array.Sort(keys, order);
        order.AsSpan().Reverse();
        TakeBest(order, picked);
    }
}
