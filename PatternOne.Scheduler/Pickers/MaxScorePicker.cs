using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary>
/// <c>max-score-picker</c>: shuffle, then stable sort by total score descending, take the first N. The shuffle is
/// the tie-break: equal scores get a uniformly random order, so idle replicas share load instead of the first
/// one in the list taking everything.
/// </summary>
internal sealed class MaxScorePicker(string name, int maxEndpoints) : IPicker, IPluginFactory
{
    public static string PluginType => "max-score-picker";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new MaxScorePicker(name, PickerMath.MaxEndpoints(parameters));

    public string Type => PluginType;

    public string Name { get; } = name;

    public int MaxEndpoints { get; } = maxEndpoints;

    public void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked)
    {
        var count = candidates.Count;
        Span<int> order = count <= 256 ? stackalloc int[count] : new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        PickerMath.Shuffle(context.Random, order);

        // Insertion sort is stable and fine for pool sizes (tens of endpoints).
        for (var i = 1; i < count; i++)
        {
            var current = order[i];
            var j = i - 1;
            while (j >= 0 && totals[order[j]] < totals[current])
            {
                order[j + 1] = order[j];
                j--;
            }

            order[j + 1] = current;
        }

        var take = Math.Min(MaxEndpoints, count);
        for (var i = 0; i < take; i++)
        {
            picked.Add(order[i]);
        }
    }
}
