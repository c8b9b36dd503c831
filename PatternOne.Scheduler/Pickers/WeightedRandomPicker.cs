using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary>
/// <c>weighted-random-picker</c>: A-Res weighted sampling without replacement — key <c>Uᵢ^(1/scoreᵢ)</c>, largest
/// keys win — so an endpoint is chosen first with probability proportional to its score. Endpoints scoring ≤ 0 come
/// last in random order; if every score is ≤ 0 the pick is uniform.
/// </summary>
internal sealed class WeightedRandomPicker(string name, int maxEndpoints) : IPicker, IPluginFactory
{
    public static string PluginType => "weighted-random-picker";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new WeightedRandomPicker(name, PickerMath.MaxEndpoints(parameters));

    public string Type => PluginType;

    public string Name { get; } = name;

    public int MaxEndpoints { get; } = maxEndpoints;

    public void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked)
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

        Array.Sort(keys, order);
        var take = Math.Min(MaxEndpoints, count);
        for (var i = 0; i < take; i++)
        {
            picked.Add(order[count - 1 - i]);
        }
    }
}
