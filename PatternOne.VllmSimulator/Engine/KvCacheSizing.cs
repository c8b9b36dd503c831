using System.Globalization;

namespace PatternOne.VllmSimulator.Engine;

/// <summary>
/// How vLLM sizes a replica's KV cache from memory, for the accelerator and model the simulator stands in for:
/// <code>
///   KV bytes per token on one chip = 2 (K,V) × layers × max(1, KV heads ÷ TP) × head dim × bytes per element
///   KV memory on one chip          = gpu-memory-utilization × HBM per chip − weights ÷ TP
///   num_gpu_blocks                 = KV memory on one chip ÷ (block size × KV bytes per token on one chip)
/// </code>
/// Every tensor-parallel rank holds all layers for its share of the KV heads; when TP exceeds the KV heads (Qwen2.5-3B
/// has 2, the seed runs TP=4) vLLM replicates heads, so each chip holds one and the replica's cache is what one chip
/// holds. vLLM also subtracts its profiled activation peak, which is not modelled here: the figure is an upper bound.
/// The simulator's default KV pool and the scheduling benchmark both use <see cref="Seed"/>.
/// </summary>
/// <param name="Accelerator">Name of the accelerator slice, for reports.</param>
/// <param name="Chips">Chips in the slice (one vLLM replica).</param>
/// <param name="HbmBytesPerChip">High-bandwidth memory of one chip.</param>
/// <param name="TensorParallelSize">vLLM <c>--tensor-parallel-size</c>.</param>
/// <param name="GpuMemoryUtilization">vLLM <c>--gpu-memory-utilization</c>: the share of each chip's memory vLLM may use.</param>
/// <param name="Model">Name of the model, for reports.</param>
/// <param name="Parameters">Model parameters (weights).</param>
/// <param name="BytesPerParameter">Bytes per weight (2 for bf16/fp16).</param>
/// <param name="Layers">Transformer layers.</param>
/// <param name="KvHeads">Key/value heads per layer (grouped-query attention).</param>
/// <param name="HeadDim">Dimension of one head.</param>
/// <param name="KvBytesPerElement">Bytes per cached K or V element (2 for a bf16/fp16 cache).</param>
public sealed record KvCacheSizing(
    string Accelerator,
    int Chips,
    long HbmBytesPerChip,
    int TensorParallelSize,
    double GpuMemoryUtilization,
    string Model,
    double Parameters,
    int BytesPerParameter,
    int Layers,
    int KvHeads,
    int HeadDim,
    int KvBytesPerElement)
{
    private const long GiB = 1L << 30;

    /// <summary>
    /// The seed's deployment: Qwen/Qwen2.5-3B-Instruct (3.09 B parameters, bf16; config.json: 36 layers, 2 KV heads, head
    /// dim 128) on a TPU v6e 2x2 (4 chips × 32 GiB HBM) with <c>--tensor-parallel-size=4</c> and vLLM's default
    /// <c>--gpu-memory-utilization</c> 0.9 (the seed's args do not set it). ≈ 1.59 M tokens per replica.
    /// </summary>
    public static KvCacheSizing Seed { get; } = new(
        Accelerator: "TPU v6e 2x2", Chips: 4, HbmBytesPerChip: 32 * GiB, TensorParallelSize: 4, GpuMemoryUtilization: 0.9,
        Model: "Qwen/Qwen2.5-3B-Instruct", Parameters: 3.09e9, BytesPerParameter: 2, Layers: 36, KvHeads: 2, HeadDim: 128, KvBytesPerElement: 2);

    /// <summary>KV heads each tensor-parallel rank holds (replicated when TP exceeds the KV heads).</summary>
    public int KvHeadsPerChip => Math.Max(1, KvHeads / TensorParallelSize);

    /// <summary>KV bytes per token of the whole model: 2 × layers × KV heads × head dim × bytes (36,864 for Qwen2.5-3B bf16).</summary>
    public long ModelKvBytesPerToken => 2L * Layers * KvHeads * HeadDim * KvBytesPerElement;

    /// <summary>KV bytes per token on one chip (18,432 for Qwen2.5-3B at TP=4).</summary>
    public long KvBytesPerTokenPerChip => 2L * Layers * KvHeadsPerChip * HeadDim * KvBytesPerElement;

    /// <summary>Weight bytes on one chip (weights ÷ TP).</summary>
    public long WeightBytesPerChip => (long)(Parameters * BytesPerParameter / TensorParallelSize);

    /// <summary>Memory left for the KV cache on one chip.</summary>
    public long KvMemoryBytesPerChip => (long)(GpuMemoryUtilization * HbmBytesPerChip) - WeightBytesPerChip;

    /// <summary>vLLM's <c>num_gpu_blocks</c> for <paramref name="blockSize"/>-token blocks.</summary>
    public int NumGpuBlocks(int blockSize) =>
        (int)Math.Min(int.MaxValue, Math.Max(0, KvMemoryBytesPerChip) / (blockSize * KvBytesPerTokenPerChip));

    /// <summary>The formula with this sizing's numbers, for reports and logs.</summary>
    public string Describe(int blockSize)
    {
        var blocks = NumGpuBlocks(blockSize);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Model} on {Accelerator}, TP={TensorParallelSize}: ({GpuMemoryUtilization:0.##} × {HbmBytesPerChip / (double)GiB:0.#} GiB − " +
            $"{Parameters / 1e9:0.##} B params × {BytesPerParameter} B ÷ {TensorParallelSize}) ÷ " +
            $"(2 × {Layers} layers × {KvHeadsPerChip} KV head{(KvHeadsPerChip == 1 ? "" : "s")} per chip × {HeadDim} × {KvBytesPerElement} B = {KvBytesPerTokenPerChip:N0} B/token) " +
            $"= {blocks:N0} blocks of {blockSize} = {(long)(blocks - 1) * blockSize:N0} tokens (vLLM reserves one block)");
    }
}
