using PatternOne.Scheduler.Prefix;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Prefix;

public class PrefixIndexTests
{
    [Fact]
    public void Hashes_AreChained_SoAnEarlierDifferenceChangesEveryLaterHash()
    {
        var original = Prompt(4, "a");
        var changedFirstBlock = "Z" + original[1..];

        var a = PrefixHasher.ComputeHashes("m", original);
        var b = PrefixHasher.ComputeHashes("m", changedFirstBlock);

        Assert.Equal(4, a.Length);
        Assert.All(Enumerable.Range(0, 4), i => Assert.NotEqual(a[i], b[i]));
    }

    [Fact]
    public void Hashes_OfASharedPrefixAreEqual_AndDivergeAfterIt()
    {
        var a = PrefixHasher.ComputeHashes("m", Prompt(3, "s") + Prompt(2, "a"));
        var b = PrefixHasher.ComputeHashes("m", Prompt(3, "s") + Prompt(2, "b"));

        Assert.Equal(a[..3], b[..3]);
        Assert.NotEqual(a[3], b[3]);
        Assert.NotEqual(a[4], b[4]);
    }

    [Fact]
    public void Hashes_AreSeededWithTheModel()
    {
        var prompt = Prompt(2);

        Assert.NotEqual(PrefixHasher.ComputeHashes("model-a", prompt)[0], PrefixHasher.ComputeHashes("model-b", prompt)[0]);
    }

    [Theory]
    [InlineData(63, 64, 256, 0)]
    [InlineData(64, 64, 256, 1)]
    [InlineData(64 * 3 + 10, 64, 256, 3)]
    [InlineData(64 * 300, 64, 256, 256)]
    [InlineData(100, 10, 5, 5)]
    public void Hashes_CoverWholeBlocksUpToTheCap(int length, int blockSize, int maxBlocks, int expectedBlocks)
    {
        var hashes = PrefixHasher.ComputeHashes("m", new string('q', length), blockSize, maxBlocks);

        Assert.Equal(expectedBlocks, hashes.Length);
    }

    [Fact]
    public void Match_CountsConsecutiveLeadingBlocksPerEndpoint()
    {
        var index = new PrefixIndex(1000);
        var full = PrefixHasher.ComputeHashes("m", Prompt(6));
        index.Learn("10.0.0.1:8000", full);
        index.Learn("10.0.0.2:8000", full.AsSpan(0, 2));
        var candidates = Endpoints(3);
        var matched = new int[3];

        index.Match(full, candidates, matched);

        Assert.Equal([6, 2, 0], matched);
    }

    [Fact]
    public void Match_StopsAtTheFirstGapEvenIfLaterBlocksAreHeld()
    {
        var index = new PrefixIndex(1000);
        var hashes = PrefixHasher.ComputeHashes("m", Prompt(4));
        index.Learn("10.0.0.1:8000", [hashes[0], hashes[2], hashes[3]]);
        var matched = new int[1];

        index.Match(hashes, Endpoints(1), matched);

        Assert.Equal(1, matched[0]);
    }

    [Fact]
    public void Learn_IsBoundedByTheLruCapacity_KeepingTheHeadOfTheChain()
    {
        var index = new PrefixIndex(capacityPerEndpoint: 4);
        var hashes = PrefixHasher.ComputeHashes("m", Prompt(10));

        index.Learn("10.0.0.1:8000", hashes);
        var matched = new int[1];
        index.Match(hashes, Endpoints(1), matched);

        Assert.Equal(4, index.CountFor("10.0.0.1:8000"));
        Assert.Equal(4, matched[0]);
    }

    [Fact]
    public void Tune_GivesEachEndpointItsOwnCapacity_AndShrinkingEvictsAtOnce()
    {
        var index = new PrefixIndex(capacityPerEndpoint: 4);
        var hashes = PrefixHasher.ComputeHashes("m", Prompt(10));
        var candidates = Endpoints(2);
        var capacities = new Dictionary<string, int?> { [candidates[0].Address] = 8, [candidates[1].Address] = null };

        index.Tune(candidates, c => capacities[c.Address]);
        index.Learn(candidates[0].Address, hashes);
        index.Learn(candidates[1].Address, hashes);

        Assert.Equal(8, index.CountFor(candidates[0].Address));
        Assert.Equal(4, index.CountFor(candidates[1].Address)); // reports nothing: the configured capacity

        capacities[candidates[0].Address] = 3;
        index.Tune(candidates, c => capacities[c.Address]);
        var matched = new int[2];
        index.Match(hashes, candidates, matched);

        Assert.Equal(3, index.CapacityFor(candidates[0].Address));
        Assert.Equal([3, 4], matched);
    }

    [Fact]
    public void Learn_EvictsTheLeastRecentlyUsedPrompt()
    {
        var index = new PrefixIndex(capacityPerEndpoint: 6);
        var first = PrefixHasher.ComputeHashes("m", Prompt(3, "first"));
        var second = PrefixHasher.ComputeHashes("m", Prompt(3, "second"));
        var third = PrefixHasher.ComputeHashes("m", Prompt(3, "third"));
        var candidates = Endpoints(1);
        var matched = new int[1];

        index.Learn("10.0.0.1:8000", first);
        index.Learn("10.0.0.1:8000", second);
        index.Learn("10.0.0.1:8000", first); // touch: "second" is now least recent
        index.Learn("10.0.0.1:8000", third);

        index.Match(first, candidates, matched);
        Assert.Equal(3, matched[0]);
        index.Match(second, candidates, matched);
        Assert.Equal(0, matched[0]);
        index.Match(third, candidates, matched);
        Assert.Equal(3, matched[0]);
        Assert.Equal(6, index.Size);
    }

    [Fact]
    public void Forget_RemovesEveryBlockOfTheEndpointOnly()
    {
        var index = new PrefixIndex(1000);
        var hashes = PrefixHasher.ComputeHashes("m", Prompt(5));
        index.Learn("10.0.0.1:8000", hashes);
        index.Learn("10.0.0.2:8000", hashes);

        index.Forget("10.0.0.1:8000");
        var matched = new int[2];
        index.Match(hashes, Endpoints(2), matched);

        Assert.Equal([0, 5], matched);
        Assert.Equal(5, index.Size);
        Assert.Equal(0, index.CountFor("10.0.0.1:8000"));
    }
}
