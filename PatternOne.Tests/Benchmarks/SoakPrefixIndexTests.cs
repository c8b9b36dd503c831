using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reliability;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using PatternOne.Scheduler.Scorers;

namespace PatternOne.Tests.Benchmarks;

/// <summary>
/// The reliability soak's bounded prefix index: the scheduler config it runs is the default profile with only the
/// prefix scorer's bound changed (and really bounded: autoTune cannot raise it), and the default's full size is
/// measured at the capacity the scorer's own autoTune gives.
/// </summary>
public sealed class SoakPrefixIndexTests
{
    private const string Probe = "10.1.2.3:8000";

    private static PrefixCacheScorer PrefixScorerOf(EndpointPickerConfig config)
    {
        var spec = config.Plugins.Single(p => p.Type == PrefixCacheScorer.PluginType);
        return (PrefixCacheScorer)PrefixCacheScorer.Create(spec.Name ?? spec.Type, new PluginParameters(spec.Type, spec.Parameters));
    }

    private static void ScoreWithKv(PrefixCacheScorer scorer, long kvBlocks, int blockTokens) =>
        scorer.Score(new SchedulingContext(new SchedulingRequest(), DateTimeOffset.UtcNow, new Random(1)),
            [new EndpointSnapshot { Address = Probe, KvTotalBlocks = kvBlocks, KvBlockSize = blockTokens }], new double[1]);

    [Fact]
    public void SchedulerConfig_IsTheDefaultProfile_WithAFixedPrefixBound_ThatAKvReportDoesNotRaise()
    {
        var soak = EndpointPickerConfigLoader.Parse(SoakPrefixIndex.SchedulerConfig(512));
        var standard = EndpointPickerConfigLoader.Parse(BuiltInProfiles.GetYaml(BuiltInProfiles.Default));

        // Same plugins, same profile and weights, same saturation detector: only the prefix bound differs.
        Assert.Equal(standard.Plugins.Select(p => p.Type), soak.Plugins.Select(p => p.Type));
        Assert.Equal(
            standard.SchedulingProfiles.Single().Plugins.Select(p => (p.PluginRef, p.Weight)),
            soak.SchedulingProfiles.Single().Plugins.Select(p => (p.PluginRef, p.Weight)));
        Assert.Equal(standard.SaturationDetector?.PluginRef, soak.SaturationDetector?.PluginRef);

        var scorer = PrefixScorerOf(soak);
        Assert.False(scorer.AutoTune);
        Assert.Equal(PrefixScorerOf(standard).BlockSize, scorer.BlockSize);
        ScoreWithKv(scorer, kvBlocks: 24_904, blockTokens: 64);
        Assert.Equal(512, scorer.Index.CapacityFor(Probe));

        // The default tunes itself to the same KV report (the bound the soak replaces).
        var tuned = PrefixScorerOf(standard);
        ScoreWithKv(tuned, kvBlocks: 24_904, blockTokens: 64);
        Assert.Equal((24_904 - 1) * 64 * PrefixCacheScorer.CharactersPerToken / tuned.BlockSize, tuned.Index.CapacityFor(Probe));
    }

    [Fact]
    public void MeasureFull_FillsEveryReplicaToTheAutoTunedCapacity()
    {
        var full = SoakPrefixIndex.MeasureFull(kvTotalBlocks: 101, kvBlockSize: 16, replicas: 3);

        Assert.Equal(100 * 16 * PrefixCacheScorer.CharactersPerToken / 64, full.CapacityPerReplica);
        Assert.Equal(3L * full.CapacityPerReplica, full.Blocks);
    }

    [Theory]
    [InlineData("soak", "soak")]
    [InlineData("prompts,soak", "prompts,soak")]
    [InlineData("Prompts, Soak", "prompts,soak")]
    [InlineData("sigstop", "sigstop")]
    public void Only_AcceptsTheSoakAlone_The15MiBPromptsBeforeIt_OrTheSigstop(string value, string expected)
    {
        var options = BenchmarkOptions.Parse(["reliability", "--only", value], "out", out var error);

        Assert.Null(error);
        Assert.Equal(expected, options!.Only);
    }

    [Theory]
    [InlineData("faults")]
    [InlineData("soak,prompts")]
    [InlineData("prompts")]
    public void Only_RejectsAnythingElse_NamingWhatItTakes(string value)
    {
        var options = BenchmarkOptions.Parse(["reliability", "--only", value], "out", out var error);

        Assert.Null(options);
        Assert.Contains("prompts,soak", error, StringComparison.Ordinal);
    }
}
