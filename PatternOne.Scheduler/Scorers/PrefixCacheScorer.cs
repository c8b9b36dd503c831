using PatternOne.Scheduler.Prefix;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary>
/// <c>prefix-cache-scorer</c> (approximate, GIE v1.0 semantics): <c>matchedBlocks / totalBlocks</c>, where a block is
/// 64 characters of the rendered prompt and matched blocks are the leading ones the endpoint is believed to hold.
/// Learns after each pick: the primary endpoint is assumed to cache the request's blocks from now on.
/// With <see cref="AutoTune"/> (upstream's default since GIE v1.2) an endpoint's index capacity follows the KV cache it
/// reports in <c>vllm:cache_config_info</c> — num_gpu_blocks × block_size tokens at ~4 characters per token — rather
/// than the fixed <c>lruCapacityPerServer</c>, which was sized for an 8B model on an 80 GB GPU (500k tokens) and
/// forgets prefixes a larger cache still holds.
/// </summary>
internal sealed class PrefixCacheScorer : SchedulingPlugin<PrefixCacheScorer>, IScorer, IPickLearner, IPluginFactory
{
    /// <summary>Characters per token assumed when converting a KV cache's tokens into prompt blocks (upstream's estimate).</summary>
    public const int CharactersPerToken = 4;

    private readonly Func<EndpointSnapshot, int?> _capacityOf;

    public PrefixCacheScorer(string name, int blockSize, int maxBlocks, int capacityPerEndpoint, bool autoTune = true)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, 1);
        BlockSize = blockSize;
        MaxBlocks = maxBlocks;
        AutoTune = autoTune;
        Index = new PrefixIndex(capacityPerEndpoint);
        _capacityOf = CapacityOf;
    }

    public static string PluginType => "prefix-cache-scorer";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new PrefixCacheScorer(
        name,
        // v1.0 called it hashBlockSize, v1.1–1.3 blockSize; both mean characters per block here.
        parameters.GetInt("blockSize", parameters.GetInt("hashBlockSize", PrefixHasher.DefaultBlockSize, min: 1), min: 1),
        parameters.GetInt("maxPrefixBlocksToMatch", PrefixHasher.DefaultMaxBlocks, min: 1),
        parameters.GetInt("lruCapacityPerServer", PrefixIndex.DefaultCapacityPerEndpoint, min: 1),
        parameters.GetBool("autoTune", true));

    public int BlockSize { get; }

    public int MaxBlocks { get; }

    public PrefixIndex Index { get; }

    /// <summary>Size each endpoint's index from its reported KV cache (<c>autoTune</c>, default true).</summary>
    public bool AutoTune { get; }

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        if (AutoTune)
        {
            Index.Tune(candidates, _capacityOf);
        }

        var hashes = HashesOf(context.Request);
        var matched = new int[candidates.Count];
        Index.Match(hashes, candidates, matched);
        context.Write(PrefixCoverage.StateKey, new PrefixMatch(hashes, matched));
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
        var hashes = context.Read<PrefixMatch>(PrefixCoverage.StateKey)?.Hashes ?? HashesOf(context.Request);
        Index.Learn(address, hashes);
    }

    public void Forget(string address) => Index.Forget(address);

    /// <summary>The prompt blocks an endpoint's KV cache can hold, when it reports its size.</summary>
    private int? CapacityOf(EndpointSnapshot endpoint) =>
        endpoint.KvTotalBlocks is { } blocks and > 1 && endpoint.KvBlockSize is { } blockTokens and > 0
            ? (int)Math.Clamp((blocks - 1) * blockTokens * CharactersPerToken / BlockSize, 1L, int.MaxValue)
            : null;

    private ulong[] HashesOf(SchedulingRequest request) =>
        PrefixHasher.ComputeHashes(request.Model, request.Prompt, BlockSize, MaxBlocks);
}
