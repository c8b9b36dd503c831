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

    private Dictionary<string, object>? _state;

    /// <summary>
    /// Keeps per-pick state of a plugin under its own key (upstream's CycleState), e.g. what a scorer computed that
    /// its learning step reuses; the pipeline itself knows no key.
    /// </summary>
    public void Write<T>(string key, T value) where T : class => (_state ??= new(StringComparer.Ordinal))[key] = value;

    /// <summary>The state written under <paramref name="key"/> in this pick, or null.</summary>
    public T? Read<T>(string key) where T : class => _state is not null && _state.TryGetValue(key, out var value) ? value as T : null;
}
