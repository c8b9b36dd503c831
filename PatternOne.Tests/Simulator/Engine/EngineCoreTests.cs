using PatternOne.VllmSimulator.Engine;
using static PatternOne.Tests.Simulator.Engine.EngineTestKit;

namespace PatternOne.Tests.Simulator.Engine;

public class EngineCoreTests
{
    [Fact]
    public void SecondRequest_SharingLongPrefix_ReportsWholeBlocksCachedAndShorterTtft()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 4096, BlockSize = 64 });
        var shared = Prompt(2_000);
        var first = engine.Submit(Request("first", [.. shared, .. Prompt(30, family: 1)]));
        engine.RunUntilIdle();
        var second = engine.Submit(Request("second", [.. shared, .. Prompt(30, family: 2)]));
        engine.RunUntilIdle();

        Assert.Equal(0, first.CachedTokens);
        Assert.Equal(2_000 / 64 * 64, second.CachedTokens);
        Assert.True(second.TimeToFirstToken < first.TimeToFirstToken,
            $"cached TTFT {second.TimeToFirstToken} should be below uncached {first.TimeToFirstToken}");
        var snapshot = engine.Snapshot();
        Assert.Equal(2 * 2_030, snapshot.PrefixCacheQueries);
        Assert.Equal(1_984, snapshot.PrefixCacheHits);
    }

    [Fact]
    public void FullyCachedPrompt_RecomputesItsLastBlock()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 1024, BlockSize = 16 });
        engine.Submit(Request("a", Prompt(64)));
        engine.RunUntilIdle();
        var again = engine.Submit(Request("b", Prompt(64)));
        engine.RunUntilIdle();

        // 64 tokens = 4 full blocks, but the hit is capped at 63 tokens → 3 whole blocks.
        Assert.Equal(48, again.CachedTokens);
    }

    [Fact]
    public void BurstAboveMaxNumSeqs_QueuesThenDrains()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxNumSeqs = 4, MaxModelLen = 1024 });
        var sequences = Enumerable.Range(0, 10).Select(i => engine.Submit(Request($"r{i}", Prompt(100, family: i), 20))).ToList();

        engine.Step();
        var during = engine.Snapshot();
        engine.RunUntilIdle();
        var after = engine.Snapshot();

        Assert.Equal(4, during.Running);
        Assert.Equal(6, during.Waiting);
        Assert.Equal(0, after.Running);
        Assert.Equal(0, after.Waiting);
        Assert.All(sequences, s => Assert.Equal(SequenceStatus.Finished, s.Status));
        Assert.All(sequences, s => Assert.Equal(20, s.OutputTokens));
        Assert.True(sequences[9].FirstScheduled > sequences[0].FirstScheduled);
    }

    [Fact]
    public void KvPoolTooSmall_PreemptsAndStillCompletesEveryRequest()
    {
        // 33 blocks of 16 = 512 tokens of KV; 8 requests of 100 + 200 tokens need 2,400.
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 512, BlockSize = 16, NumGpuBlocks = 33 });
        var sequences = Enumerable.Range(0, 8).Select(i => engine.Submit(Request($"r{i}", Prompt(100, family: i), 200))).ToList();

        engine.RunUntilIdle();

        Assert.True(engine.Snapshot().Preemptions > 0);
        Assert.Contains(sequences, s => s.Preemptions > 0);
        Assert.All(sequences, s => Assert.Equal(SequenceStatus.Finished, s.Status));
        Assert.All(sequences, s => Assert.Equal(200, s.OutputTokens));
        Assert.Equal(0, engine.Snapshot().KvCacheUsage, 6);
    }

    [Fact]
    public void Eviction_IsLeastRecentlyUsedFirst()
    {
        // 13 usable blocks of 16. A then B (3 blocks each) finish; C needs 9 blocks: the 7 never-used ones, then the
        // least recently freed, which are A's (tail first, since a request frees its blocks in reverse).
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 160, BlockSize = 16, NumGpuBlocks = 14 });
        engine.Submit(Request("a", Prompt(48, family: 1), 1));
        engine.RunUntilIdle();
        engine.Submit(Request("b", Prompt(48, family: 2), 1));
        engine.RunUntilIdle();
        engine.Submit(Request("c", Prompt(140, family: 3), 1));
        engine.RunUntilIdle();

        var b = engine.Submit(Request("b2", Prompt(48, family: 2), 1));
        engine.RunUntilIdle();
        var a = engine.Submit(Request("a2", Prompt(48, family: 1), 1));
        engine.RunUntilIdle();

        Assert.Equal(32, b.CachedTokens); // B survived (hit capped at 47 tokens → 2 blocks)
        Assert.Equal(0, a.CachedTokens);  // A was evicted: C took its tail, B2's new block its head
        Assert.True(engine.Snapshot().Evictions >= 3);
    }

    [Theory]
    [InlineData(100, 500)]
    [InlineData(500, 1_500)]
    [InlineData(1_000, 4_000)]
    public void Ttft_GrowsWithUncachedPromptLength(int shorter, int longer)
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 8192 });
        var small = engine.Submit(Request("small", Prompt(shorter, family: 1), 1));
        engine.RunUntilIdle();
        var large = engine.Submit(Request("large", Prompt(longer, family: 2), 1));
        engine.RunUntilIdle();

        Assert.True(large.TimeToFirstToken > small.TimeToFirstToken);
    }

    [Theory]
    [InlineData(0, 1, 9.08)]
    [InlineData(0, 20, 10.6)]
    [InlineData(1000, 0, 17.0)]
    [InlineData(500, 10, 13.8)]
    public void StepTime_FollowsBasePlusPrefillPlusDecode(int prefillTokens, int decodeSeqs, double expectedMs)
    {
        var model = new StepTimeModel();

        Assert.Equal(expectedMs, model.Duration(prefillTokens, decodeSeqs).TotalMilliseconds, 3);
    }

    [Fact]
    public void LongPrompt_IsPrefilledInChunksOfTheTokenBudget()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 4096, MaxNumBatchedTokens = 1024 });
        var sequence = engine.Submit(Request("long", Prompt(2_500), 2));

        var steps = new List<StepResult>();
        while (engine.Step() is { } step)
        {
            steps.Add(step);
        }

        Assert.Equal([1024, 1024, 452, 0], steps.Select(s => s.PrefillTokens));
        Assert.Equal(steps[2].End, sequence.FirstTokenTime);
        Assert.Equal(1, steps[3].DecodeSeqs);
    }

    [Fact]
    public void DecodeSteps_CarryEveryRunningSequenceTogether()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 1024 });
        var a = engine.Submit(Request("a", Prompt(10, family: 1), 5));
        var b = engine.Submit(Request("b", Prompt(10, family: 2), 5));

        engine.RunUntilIdle();

        Assert.Equal(a.TokenTimes, b.TokenTimes);
        var itl = a.TokenTimes[2] - a.TokenTimes[1];
        Assert.Equal(new StepTimeModel().Duration(0, 2), itl);
    }

    [Fact]
    public void Abort_FreesBlocksAndIsNotCountedAsSuccess()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 1024 });
        var sequence = engine.Submit(Request("a", Prompt(200), 100));
        engine.Step();
        Assert.True(engine.Snapshot().KvCacheUsage > 0);

        Assert.True(engine.Abort("a"));

        Assert.Equal(SequenceStatus.Aborted, sequence.Status);
        Assert.False(engine.HasWork);
        Assert.Equal(0, engine.Snapshot().KvCacheUsage, 6);
        Assert.Equal(1, engine.Metrics.Aborted);
        Assert.Equal(0, engine.Metrics.SuccessLength + engine.Metrics.SuccessStop);
        Assert.False(engine.Abort("a"));
    }

    [Fact]
    public void AdvanceTo_JumpsIdleClockAndRunsStepsThatStartBefore()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 1024 });
        engine.AdvanceTo(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), engine.Now);

        var sequence = engine.Submit(Request("a", Prompt(10), 3));
        var events = engine.AdvanceTo(TimeSpan.FromSeconds(2));

        Assert.Equal(3, events.Count);
        Assert.True(events[^1].IsFinal);
        Assert.Equal(TimeSpan.FromSeconds(1), sequence.Arrival);
        Assert.Equal(TimeSpan.FromSeconds(2), engine.Now);
    }

    [Fact]
    public void Submit_RejectsRequestsThatCanNeverFit()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 100 });

        Assert.Throws<ArgumentException>(() => engine.Submit(Request("a", Prompt(90), 20)));
        Assert.Throws<ArgumentException>(() => engine.Submit(Request("b", [], 1)));
        engine.Submit(Request("c", Prompt(10), 1));
        Assert.Throws<ArgumentException>(() => engine.Submit(Request("c", Prompt(10), 1)));
    }

    [Fact]
    public void Options_RejectPoolSmallerThanContext()
    {
        var errors = new EngineOptions { MaxModelLen = 2048, NumGpuBlocks = 10 }.Validate();

        Assert.Contains(errors, e => e.Contains("--max-model-len", StringComparison.Ordinal));
    }
}
