namespace PatternOne.Scheduler.Scheduling;

/// <summary>
/// How much of the request's prompt each candidate already holds in its prefix cache, which the pick's result reports
/// (<see cref="SchedulingResult.PrefixMatchedBlocks"/>, the prefix hit-ratio metric). A plugin that knows it writes it
/// into the <see cref="SchedulingContext"/> under <see cref="StateKey"/>; the pipeline reads it only for the result, so
/// it names this contract, never the plugin (today the prefix-cache scorer) that fills it.
/// </summary>
public class PrefixCoverage(int[] matchedByCandidate, int totalBlocks)
{
    /// <summary>The state key of the coverage in <see cref="SchedulingContext"/>.</summary>
    public const string StateKey = "prefix-coverage";

    /// <summary>Leading blocks each candidate (same order as scored) holds.</summary>
    public int[] MatchedByCandidate { get; } = matchedByCandidate;

    /// <summary>The request's blocks.</summary>
    public int TotalBlocks { get; } = totalBlocks;
}
