using PatternOne.Scheduler.Prefix;

namespace PatternOne.Scheduler.Scheduling;

/// <summary>Per-pick state shared by the plugins of one profile run (upstream's CycleState).</summary>
public sealed class SchedulingContext
{
    internal SchedulingContext(SchedulingRequest request, DateTimeOffset now, Random random)
    {
        Request = request;
        Now = now;
        Random = random;
    }

    public SchedulingRequest Request { get; }

    /// <summary>The injected clock's time at the start of the pick; staleness is judged against it.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The injected randomness; pickers draw from it so tests and benchmarks are reproducible.</summary>
    public Random Random { get; }

    /// <summary>Set by the prefix scorer: the request's block hashes and per-candidate matches.</summary>
    internal PrefixMatch? Prefix { get; set; }
}
