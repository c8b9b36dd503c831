namespace PatternOne.Scheduler.Prefix;

/// <summary>The prefix scorer's per-pick result, kept in the scheduling context for learning after the pick.</summary>
internal sealed class PrefixMatch(ulong[] hashes, int[] matchedByCandidate)
{
    /// <summary>The key the prefix scorer keeps it under in <see cref="Scheduling.SchedulingContext"/>.</summary>
    public const string StateKey = "prefix-cache-scorer/match";

    /// <summary>The request's chained block hashes.</summary>
    public ulong[] Hashes { get; } = hashes;

    /// <summary>Leading blocks each candidate (same order as scored) holds.</summary>
    public int[] MatchedByCandidate { get; } = matchedByCandidate;

    public int TotalBlocks => Hashes.Length;
}
