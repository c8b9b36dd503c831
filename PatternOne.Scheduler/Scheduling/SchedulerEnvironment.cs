namespace PatternOne.Scheduler.Scheduling;

/// <summary>What an <see cref="IScheduler"/> takes from its host: a clock, randomness and an optional observer.</summary>
public sealed record SchedulerEnvironment
{
    /// <summary>Judges metric staleness. Default <see cref="TimeProvider.System"/>; the benchmarks pass their virtual clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Tie-breaks and random pickers. Default <see cref="Random.Shared"/> (thread-safe); tests pass a seeded one.</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>Receives plugin and pick timings; <see langword="null"/> skips timing altogether.</summary>
    public ISchedulingObserver? Observer { get; init; }
}
