using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary><c>random-picker</c>: uniform over the candidates, scores ignored (a baseline and the body-less path).</summary>
internal sealed class RandomPicker(string name, int maxEndpoints) : Picker<RandomPicker>(name, maxEndpoints), IPluginFactory
{
    public static string PluginType => "random-picker";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new RandomPicker(name, PickerMath.MaxEndpoints(parameters));

    public override void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked)
    {
        var count = candidates.Count;
        TakeBest(PickerMath.ShuffledIndexes(context.Random, count <= 256 ? stackalloc int[count] : new int[count]), picked);
    }
}
