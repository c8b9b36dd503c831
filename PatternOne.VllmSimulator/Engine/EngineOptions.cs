namespace PatternOne.VllmSimulator.Engine;

/// <summary>
/// What one simulated vLLM engine (one replica) is: its scheduler limits, its KV pool and its step-time model.
/// Defaults describe Qwen/Qwen2.5-3B-Instruct served by vLLM on a TPU v6e 2x2 (4 chips, TP=4); see the project
/// README ("Step-time constants") for where each figure comes from.
/// </summary>
public sealed record EngineOptions
{
    /// <summary>Most sequences in one step (vLLM <c>--max-num-seqs</c>). Default 256, vLLM's default on TPU v6e.</summary>
    public int MaxNumSeqs { get; init; } = 256;

    /// <summary>Token budget of one step (vLLM <c>--max-num-batched-tokens</c>). Default 1024, vLLM's default on TPU v6e.</summary>
    public int MaxNumBatchedTokens { get; init; } = 1024;

    /// <summary>Context window, prompt plus completion (vLLM <c>--max-model-len</c>). Default 32768, Qwen2.5-3B's.</summary>
    public int MaxModelLen { get; init; } = 32768;

    /// <summary>Tokens per KV block (vLLM <c>--block-size</c>). Default 16, vLLM's default.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>
    /// KV blocks in the pool including vLLM's reserved null block (<c>--num-gpu-blocks-override</c>).
    /// Null: derived as <see cref="KvCacheMemoryBytes"/> / (<see cref="BlockSize"/> × <see cref="KvBytesPerToken"/>).
    /// </summary>
    public int? NumGpuBlocks { get; init; }

    /// <summary>
    /// KV-cache memory on one chip (tensor-parallel rank) when <see cref="NumGpuBlocks"/> is not set. Default: what vLLM
    /// leaves on a TPU v6e chip serving Qwen2.5-3B at TP=4 (<see cref="KvCacheSizing.Seed"/>: 0.9 × 32 GiB − weights ÷ 4
    /// ≈ 27.4 GiB), which with <see cref="KvBytesPerToken"/> gives ≈ 99.6k blocks of 16 = 1.59 M tokens per replica.
    /// </summary>
    public long KvCacheMemoryBytes { get; init; } = KvCacheSizing.Seed.KvMemoryBytesPerChip;

    /// <summary>
    /// KV bytes per token on one chip: 2 (K,V) × 36 layers × 1 KV head per chip (Qwen2.5-3B's 2 KV heads replicated over
    /// TP=4) × 128 dims × 2 bytes = 18,432 (<see cref="KvCacheSizing.Seed"/>).
    /// </summary>
    public int KvBytesPerToken { get; init; } = (int)KvCacheSizing.Seed.KvBytesPerTokenPerChip;

    /// <summary>The step-time model.</summary>
    public StepTimeModel StepTime { get; init; } = new();

    /// <summary>The pool size actually used.</summary>
    public int EffectiveNumGpuBlocks =>
        NumGpuBlocks ?? (int)Math.Min(int.MaxValue, KvCacheMemoryBytes / ((long)BlockSize * KvBytesPerToken));

    /// <summary>Tokens the pool can hold (the null block excluded).</summary>
    public long KvCapacityTokens => (long)(EffectiveNumGpuBlocks - 1) * BlockSize;

    /// <summary>Every problem with these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxNumSeqs < 1)
        {
            errors.Add($"--max-num-seqs must be at least 1, got {MaxNumSeqs}.");
        }

        if (MaxNumBatchedTokens < 1)
        {
            errors.Add($"--max-num-batched-tokens must be at least 1, got {MaxNumBatchedTokens}.");
        }

        if (MaxModelLen < 2)
        {
            errors.Add($"--max-model-len must be at least 2, got {MaxModelLen}.");
        }

        if (BlockSize is < 1 or > 1024)
        {
            errors.Add($"--block-size must be between 1 and 1024, got {BlockSize}.");
        }

        if (KvBytesPerToken < 1)
        {
            errors.Add($"KV bytes per token must be at least 1, got {KvBytesPerToken}.");
        }

        if (errors.Count == 0)
        {
            var blocks = EffectiveNumGpuBlocks;
            if (blocks < 2)
            {
                errors.Add($"The KV pool needs at least 2 blocks, got {blocks}.");
            }
            else if (KvCapacityTokens < MaxModelLen)
            {
                // vLLM refuses to start in this case too: one full-length request must fit in the cache.
                errors.Add(
                    $"The KV pool holds {KvCapacityTokens} tokens ({blocks} blocks of {BlockSize}, one reserved), fewer than " +
                    $"--max-model-len {MaxModelLen}. Raise --num-gpu-blocks-override or lower --max-model-len.");
            }
        }

        errors.AddRange(StepTime.Validate());
        return errors;
    }
}
