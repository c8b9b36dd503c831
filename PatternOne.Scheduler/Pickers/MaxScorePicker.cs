using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary>
/// <c>max-score-picker</c>: shuffle, then stable sort by total score descending, take the first N. The shuffle is
/// the tie-break: equal scores get a uniformly random order, so idle replicas share load instead of the first
/// one in the list taking everything.
/// </summary>
internal sealed class MaxScorePicker(string name, int maxEndpoints) : Picker<MaxScorePicker>(name, maxEndpoints), IPluginFactory
{
    public static string PluginType => "max-score-picker";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new MaxScorePicker(name, PickerMath.MaxEndpoints(parameters));

    public override void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked)
    {
        var count = candidates.Count;
        var order = PickerMath.ShuffledIndexes(context.Random, count <= 256 ? stackalloc int[count] : new int[count]);

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

        TakeBest(order, picked);
    }
}
