using PatternOne.VllmSimulator.Engine;

namespace PatternOne.Tests.Simulator.Engine;

public sealed class KvCacheSizingTests
{
    [Fact]
    public void Seed_QwenOnTpuV6e2x2_ReplicatesTheTwoKvHeadsOverFourChips()
    {
        var seed = KvCacheSizing.Seed;

        // 2 (K,V) × 36 layers × 2 KV heads × 128 × 2 B model-wide; at TP=4 each chip holds one head.
        Assert.Equal(36_864, seed.ModelKvBytesPerToken);
        Assert.Equal(1, seed.KvHeadsPerChip);
        Assert.Equal(18_432, seed.KvBytesPerTokenPerChip);

        // 0.9 × 32 GiB − 3.09e9 × 2 B ÷ 4 = 29,378,764,531 B; ÷ (16 × 18,432 B) = 99,618 blocks.
        Assert.Equal(1_545_000_000, seed.WeightBytesPerChip);
        Assert.Equal(29_378_764_531, seed.KvMemoryBytesPerChip);
        Assert.Equal(99_618, seed.NumGpuBlocks(16));
    }

    [Fact]
    public void OneChip_HoldsBothKvHeadsAndAllWeights()
    {
        var single = KvCacheSizing.Seed with { TensorParallelSize = 1 };

        Assert.Equal(36_864, single.KvBytesPerTokenPerChip);
        Assert.Equal((long)(0.9 * 32 * (1L << 30)) - 6_180_000_000, single.KvMemoryBytesPerChip);
        Assert.True(single.NumGpuBlocks(16) < KvCacheSizing.Seed.NumGpuBlocks(16) / 2);
    }

    [Fact]
    public void EngineDefaults_SizeTheCacheWithTheSameFormula()
    {
        var options = new EngineOptions();

        Assert.Null(options.NumGpuBlocks);
        Assert.Equal(KvCacheSizing.Seed.NumGpuBlocks(options.BlockSize), options.EffectiveNumGpuBlocks);
        Assert.Equal((long)(options.EffectiveNumGpuBlocks - 1) * options.BlockSize, options.KvCapacityTokens);
        Assert.Contains("99,618 blocks of 16", KvCacheSizing.Seed.Describe(16), StringComparison.Ordinal);
    }
}
