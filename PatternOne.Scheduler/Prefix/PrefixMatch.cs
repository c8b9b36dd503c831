using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Prefix;

/// <summary>
/// The prefix scorer's per-pick result, kept in the scheduling context under <see cref="PrefixCoverage.StateKey"/>: the
/// coverage the result reports, plus the block hashes the scorer learns from after the pick.
/// </summary>
internal sealed class PrefixMatch(ulong[] hashes, int[] matchedByCandidate) : PrefixCoverage(matchedByCandidate, hashes.Length)
{
    /// <summary>The request's chained block hashes.</summary>
    public ulong[] Hashes { get; } = hashes;
}
