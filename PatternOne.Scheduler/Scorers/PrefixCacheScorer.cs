using PatternOne.Scheduler.Prefix;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary>
/// <c>prefix-cache-scorer</c> (approximate, GIE v1.0 semantics): <c>matchedBlocks / totalBlocks</c>, where a block is
/// 64 characters of the rendered prompt and matched blocks are the leading ones the endpoint is believed to hold.
/// Learns after each pick: the primary endpoint is assumed to cache the request's blocks from now on.
/// </summary>
internal sealed class PrefixCacheScorer : IScorer, IPickLearner
{
    public PrefixCacheScorer(string name, int blockSize, int maxBlocks, int capacityPerEndpoint)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, 1);
        Name = name;
        BlockSize = blockSize;
        MaxBlocks = maxBlocks;
        Index = new PrefixIndex(capacityPerEndpoint);
    }

    public string Type => PluginTypes.PrefixCacheScorer;

    public string Name { get; }

    public int BlockSize { get; }

    public int MaxBlocks { get; }

    public PrefixIndex Index { get; }

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        var hashes = HashesOf(context.Request);
        var matched = new int[candidates.Count];
        Index.Match(hashes, candidates, matched);
        context.Prefix = new PrefixMatch(hashes, matched);
        if (hashes.Length == 0)
        {
            return;
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            scores[i] = (double)matched[i] / hashes.Length;
        }
    }

    public void Learn(SchedulingContext context, string address)
    {
        var hashes = context.Prefix?.Hashes ?? HashesOf(context.Request);
        Index.Learn(address, hashes);
    }

    public void Forget(string address) => Index.Forget(address);

    private ulong[] HashesOf(SchedulingRequest request) =>
        PrefixHasher.ComputeHashes(request.Model, request.Prompt, BlockSize, MaxBlocks);
}
