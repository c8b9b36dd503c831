namespace PatternOne.Benchmarks.Scheduling;

/// <summary>The scheduler's clock in a virtual-time run: the simulation's current time, so metric staleness is judged in virtual time.</summary>
internal sealed class VirtualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public TimeSpan Now { get; set; }

    public DateTimeOffset At(TimeSpan virtualTime) => Epoch + virtualTime;

    public override DateTimeOffset GetUtcNow() => Epoch + Now;
}
