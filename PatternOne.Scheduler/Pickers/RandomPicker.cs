using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary><c>random-picker</c>: uniform over the candidates, scores ignored (a baseline and the body-less path).</summary>
internal sealed class RandomPicker(string name, int maxEndpoints) : IPicker, IPluginFactory
{
    public static string PluginType => "random-picker";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new RandomPicker(name, PickerMath.MaxEndpoints(parameters));

    public string Type => PluginType;

    public string Name { get; } = name;

    public int MaxEndpoints { get; } = maxEndpoints;

    public void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked)
    {
        Span<int> order = candidates.Count <= 256 ? stackalloc int[candidates.Count] : new int[candidates.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        PickerMath.Shuffle(context.Random, order);
        var take = Math.Min(MaxEndpoints, order.Length);
        for (var i = 0; i < take; i++)
        {
            picked.Add(order[i]);
        }
    }
}
