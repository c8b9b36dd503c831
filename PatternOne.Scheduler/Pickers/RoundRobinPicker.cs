using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

/// <summary>
/// <c>round-robin-picker</c>: cycles through the candidates in the order given (what a Kubernetes Service does),
/// scores ignored; fallbacks are the next ones in the cycle. The benchmarks' baseline.
/// </summary>
internal sealed class RoundRobinPicker(string name, int maxEndpoints) : Picker<RoundRobinPicker>(name, maxEndpoints), IPluginFactory
{
    private long _next = -1;

    public static string PluginType => "round-robin-picker";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new RoundRobinPicker(name, PickerMath.MaxEndpoints(parameters));

    public override void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked)
    {
        var count = candidates.Count;
        if (count == 0)
        {
            return;
        }

        var start = (int)(Interlocked.Increment(ref _next) % count);
        var take = Math.Min(MaxEndpoints, count);
        for (var i = 0; i < take; i++)
        {
            picked.Add((start + i) % count);
        }
    }
}
