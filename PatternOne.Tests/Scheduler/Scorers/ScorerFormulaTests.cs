using PatternOne.Scheduler.Prefix;
using PatternOne.Scheduler.Scheduling;
using PatternOne.Scheduler.Scorers;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Scorers;

public class ScorerFormulaTests
{
    [Theory]
    [InlineData(new[] { 0, 5, 10 }, new[] { 1.0, 0.5, 0.0 })]
    [InlineData(new[] { 3, 3, 3 }, new[] { 1.0, 1.0, 1.0 })]
    [InlineData(new[] { 7 }, new[] { 1.0 })]
    [InlineData(new[] { 2, 6 }, new[] { 1.0, 0.0 })]
    [InlineData(new[] { 4, 1, 3 }, new[] { 0.0, 1.0, 1.0 / 3 })]
    public void QueueScorer_IsMinMaxNormalisedWaitingQueue(int[] queues, double[] expected)
    {
        var candidates = queues.Select((q, i) => Endpoint($"e{i}:1", waiting: q)).ToArray();

        var scores = Score(new QueueScorer(QueueScorer.PluginType), candidates);

        AssertScores(expected, scores);
    }

    [Theory]
    [InlineData(new[] { 0.0, 0.25, 1.0 }, new[] { 1.0, 0.75, 0.0 })]
    [InlineData(new[] { 0.8 }, new[] { 0.2 })]
    public void KvCacheUtilizationScorer_IsOneMinusUsage(double[] usage, double[] expected)
    {
        var candidates = usage.Select((u, i) => Endpoint($"e{i}:1", kv: u)).ToArray();

        var scores = Score(new KvCacheUtilizationScorer(KvCacheUtilizationScorer.PluginType), candidates);

        AssertScores(expected, scores);
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(32, 0.375)]
    [InlineData(64, 0.25)]
    [InlineData(127, 0.5 * (1 - 127.0 / 128))]
    [InlineData(128, 0.0)]
    [InlineData(500, 0.0)]
    public void LoadAwareScorer_FollowsUpstreamCurve(int queue, double expected)
    {
        var scores = Score(new LoadAwareScorer(LoadAwareScorer.PluginType, 128), [Endpoint("e:1", waiting: queue)]);

        Assert.Equal(expected, scores[0], 9);
    }

    [Theory]
    [InlineData(new[] { 0, 2, 4 }, 0, new[] { 1.0, 0.5, 0.0 })]
    [InlineData(new[] { 0, 0 }, 0, new[] { 1.0, 1.0 })]
    [InlineData(new[] { 1, 2, 4 }, 1, new[] { 1.0, 0.5, 0.0 })]
    [InlineData(new[] { 3 }, 0, new[] { 0.0 })]
    public void ActiveRequestScorer_ScalesInFlightRequests(int[] inFlight, int idleThreshold, double[] expected)
    {
        var candidates = inFlight.Select((n, i) => Endpoint($"e{i}:1", inFlight: n)).ToArray();

        var scores = Score(new ActiveRequestScorer(ActiveRequestScorer.PluginType, idleThreshold, 1.0), candidates);

        AssertScores(expected, scores);
    }

    [Theory]
    [InlineData(8, 8, 1.0)]
    [InlineData(8, 4, 0.5)]
    [InlineData(8, 0, 0.0)]
    [InlineData(10, 2, 0.2)]
    public void PrefixCacheScorer_IsMatchedOverTotalBlocks(int requestBlocks, int sharedBlocks, double expected)
    {
        var scorer = new PrefixCacheScorer(PrefixCacheScorer.PluginType, PrefixHasher.DefaultBlockSize, PrefixHasher.DefaultMaxBlocks, 1000);
        var holder = Endpoint("10.0.0.1:8000");
        var other = Endpoint("10.0.0.2:8000");
        var learned = new SchedulingRequest { Model = "m", Prompt = Prompt(requestBlocks, "a") };
        scorer.Learn(Context(learned), holder.Address);
        var prompt = Prompt(sharedBlocks, "a") + Prompt(requestBlocks - sharedBlocks, "b");
        var request = new SchedulingRequest { Model = "m", Prompt = prompt };

        var scores = Score(scorer, [holder, other], request);

        Assert.Equal(expected, scores[0], 9);
        Assert.Equal(0.0, scores[1]);
    }

    [Theory]
    [InlineData(true, 40)]
    [InlineData(false, 1000)]
    public void PrefixCacheScorer_AutoTune_SizesTheIndexFromTheEndpointsKvCache(bool autoTune, int expectedCapacity)
    {
        // 41 blocks of 16 tokens, one reserved: 640 tokens × 4 characters ÷ 64-character blocks = 40 prompt blocks.
        var scorer = new PrefixCacheScorer(PrefixCacheScorer.PluginType, 64, 256, 1000, autoTune);
        var endpoint = Endpoint("10.0.0.1:8000") with { KvBlockSize = 16, KvTotalBlocks = 41 };
        var request = new SchedulingRequest { Model = "m", Prompt = Prompt(100, "a") };

        Score(scorer, [endpoint], request);
        scorer.Learn(Context(request), endpoint.Address);

        Assert.Equal(expectedCapacity, scorer.Index.CapacityFor(endpoint.Address));
        Assert.Equal(Math.Min(100, expectedCapacity), scorer.Index.CountFor(endpoint.Address));
    }

    [Fact]
    public void PrefixCacheScorer_ScoresZeroForPromptShorterThanOneBlock()
    {
        var scorer = new PrefixCacheScorer(PrefixCacheScorer.PluginType, 64, 256, 1000);
        var request = new SchedulingRequest { Model = "m", Prompt = "short" };
        scorer.Learn(Context(request), "10.0.0.1:8000");

        var scores = Score(scorer, [Endpoint("10.0.0.1:8000")], request);

        Assert.Equal(0.0, scores[0]);
    }

    private static double[] Score(IScorer scorer, EndpointSnapshot[] candidates, SchedulingRequest? request = null)
    {
        var scores = new double[candidates.Length];
        scorer.Score(Context(request), candidates, scores);
        return scores;
    }

    private static void AssertScores(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 9);
        }
    }
}
