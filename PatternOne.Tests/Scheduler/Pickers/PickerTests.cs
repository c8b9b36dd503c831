using PatternOne.Scheduler.Pickers;
using PatternOne.Scheduler.Scheduling;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Pickers;

public class PickerTests
{
    [Theory]
    [InlineData(new[] { 0.1, 0.9, 0.5 }, 3, new[] { 1, 2, 0 })]
    [InlineData(new[] { 0.1, 0.9, 0.5 }, 1, new[] { 1 })]
    [InlineData(new[] { 3.0, 0.0 }, 5, new[] { 0, 1 })]
    public void MaxScorePicker_OrdersByTotalDescending(double[] totals, int maxEndpoints, int[] expected)
    {
        var picked = Pick(new MaxScorePicker(MaxScorePicker.PluginType, maxEndpoints), totals, seed: 7);

        Assert.Equal(expected, picked);
    }

    [Fact]
    public void MaxScorePicker_BreaksTiesRandomlyButReproducibly()
    {
        var picker = new MaxScorePicker(MaxScorePicker.PluginType, 1);
        double[] totals = [2.0, 2.0, 2.0, 1.0];

        var firsts = Enumerable.Range(0, 200).Select(seed => Pick(picker, totals, seed)[0]).ToArray();

        Assert.Equal([0, 1, 2], firsts.Distinct().Order().ToArray());
        Assert.Equal(Pick(picker, totals, seed: 42), Pick(picker, totals, seed: 42));
    }

    [Fact]
    public void RandomPicker_CoversEveryCandidateAndIgnoresScores()
    {
        var picker = new RandomPicker(RandomPicker.PluginType, 1);
        double[] totals = [100.0, 0.0, 0.0];
        var random = new Random(3);

        var counts = new int[3];
        for (var i = 0; i < 3000; i++)
        {
            counts[Pick(picker, totals, random)[0]]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 850, 1150));
    }

    [Fact]
    public void RoundRobinPicker_CyclesWithFollowingFallbacks()
    {
        var picker = new RoundRobinPicker(RoundRobinPicker.PluginType, 2);
        double[] totals = [0, 0, 0];

        var picks = Enumerable.Range(0, 4).Select(_ => Pick(picker, totals, seed: 1)).ToArray();

        Assert.Equal([0, 1], picks[0]);
        Assert.Equal([1, 2], picks[1]);
        Assert.Equal([2, 0], picks[2]);
        Assert.Equal([0, 1], picks[3]);
    }

    [Fact]
    public void WeightedRandomPicker_NeverPicksZeroScoreFirstWhenAPositiveExists()
    {
        var picker = new WeightedRandomPicker(WeightedRandomPicker.PluginType, 2);
        var random = new Random(11);

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal([1, 0], Pick(picker, [0.0, 0.7], random));
        }
    }

    [Fact]
    public void WeightedRandomPicker_PicksInProportionToScore()
    {
        var picker = new WeightedRandomPicker(WeightedRandomPicker.PluginType, 1);
        var random = new Random(5);

        var firstPicks = Enumerable.Range(0, 8000).Count(_ => Pick(picker, [1.0, 3.0], random)[0] == 0);

        Assert.InRange(firstPicks / 8000.0, 0.22, 0.28);
    }

    [Fact]
    public void WeightedRandomPicker_FallsBackToUniformWhenAllScoresAreZero()
    {
        var picker = new WeightedRandomPicker(WeightedRandomPicker.PluginType, 1);
        var random = new Random(9);

        var counts = new int[2];
        for (var i = 0; i < 2000; i++)
        {
            counts[Pick(picker, [0.0, 0.0], random)[0]]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 850, 1150));
    }

    private static int[] Pick(IPicker picker, double[] totals, int seed) => Pick(picker, totals, new Random(seed));

    private static int[] Pick(IPicker picker, double[] totals, Random random)
    {
        var candidates = Endpoints(totals.Length);
        var picked = new List<int>();
        picker.Pick(new SchedulingContext(new SchedulingRequest(), Now, random), candidates, totals, picked);
        return [.. picked];
    }
}
