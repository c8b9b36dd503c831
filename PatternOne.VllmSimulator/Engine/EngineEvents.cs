namespace PatternOne.VllmSimulator.Engine;

/// <summary>One token leaving the engine at the end of a step.</summary>
/// <param name="Sequence">The sequence that produced it.</param>
/// <param name="Index">0 for the first generated token.</param>
/// <param name="TokenId">The token id.</param>
/// <param name="Time">Virtual time the step ended.</param>
/// <param name="FinishReason">Set on the sequence's last token.</param>
public readonly record struct TokenEvent(EngineSequence Sequence, int Index, int TokenId, TimeSpan Time, FinishReason? FinishReason)
{
    /// <summary>True on the sequence's last token.</summary>
    public bool IsFinal => FinishReason is not null;
}

/// <summary>What one engine step did.</summary>
/// <param name="Start">Virtual time the step started.</param>
/// <param name="End">Virtual time the step ended (tokens leave then).</param>
/// <param name="PrefillTokens">Prompt (or recomputed) tokens computed in the step.</param>
/// <param name="DecodeSeqs">Sequences that decoded one token.</param>
/// <param name="Preemptions">Sequences preempted while scheduling the step.</param>
/// <param name="Tokens">Tokens produced, in scheduling order.</param>
public sealed record StepResult(
    TimeSpan Start,
    TimeSpan End,
    int PrefillTokens,
    int DecodeSeqs,
    int Preemptions,
    IReadOnlyList<TokenEvent> Tokens)
{
    /// <summary>The step's modelled duration.</summary>
    public TimeSpan Duration => End - Start;
}

/// <summary>A consistent view of an engine's load and counters (what its <c>/metrics</c> reports).</summary>
public sealed record EngineSnapshot
{
    /// <summary>Virtual time of the snapshot.</summary>
    public required TimeSpan Now { get; init; }

    /// <summary><c>vllm:num_requests_running</c>.</summary>
    public required int Running { get; init; }

    /// <summary><c>vllm:num_requests_waiting</c>.</summary>
    public required int Waiting { get; init; }

    /// <summary><c>vllm:kv_cache_usage_perc</c>, 0–1.</summary>
    public required double KvCacheUsage { get; init; }

    /// <summary>Blocks in the pool (<c>num_gpu_blocks</c>).</summary>
    public required int NumGpuBlocks { get; init; }

    /// <summary>Tokens per block.</summary>
    public required int BlockSize { get; init; }

    /// <summary><c>vllm:prefix_cache_queries_total</c> (tokens).</summary>
    public required long PrefixCacheQueries { get; init; }

    /// <summary><c>vllm:prefix_cache_hits_total</c> (tokens).</summary>
    public required long PrefixCacheHits { get; init; }

    /// <summary><c>vllm:num_preemptions_total</c>.</summary>
    public required long Preemptions { get; init; }

    /// <summary>Cached blocks evicted since start.</summary>
    public required long Evictions { get; init; }

    /// <summary>Requests finished normally since start.</summary>
    public required long Finished { get; init; }

    /// <summary>Requests aborted since start.</summary>
    public required long Aborted { get; init; }

    /// <summary>Steps run since start.</summary>
    public required long Steps { get; init; }
}
