using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Tests.Benchmarks;

/// <summary>
/// The data-path benchmark's paired estimator on constructed latencies whose answer is known: a request-by-request
/// difference cancels what the request itself costs, a percentile of the differences is not a difference of
/// percentiles, failed requests drop their pair, rounds keep their weight, and the interval is honest on an A/A.
/// </summary>
public sealed class PairedComparisonTests
{
    private static readonly double[] P50And99 = [50, 99];

    /// <summary>Like the realistic replica: request i asks for 1 + i mod 16 tokens, ~12 ms each after ~18 ms.</summary>
    private static double Cost(int i) => 18 + (12.0 * (i % 16));

    private static double[] Latencies(int n, Func<int, double> latency) => Enumerable.Range(0, n).Select(latency).ToArray();

    [Fact]
    public void ConstantAddedLatency_IsFoundExactly_AtEveryPercentile_WithAZeroWidthInterval()
    {
        var direct = Latencies(1600, i => Cost(i) + (i % 7 * 0.3));
        var path = direct.Select(d => d + 0.7).ToArray();

        var result = PairedComparison.Compare([new(path, direct)], P50And99, blockLength: 64, resamples: 200);

        Assert.Equal(1600, result.Pairs);
        foreach (var at in result.Percentiles)
        {
            Assert.Equal(0.7, at.Paired.Value, 9);
            Assert.Equal(0.7, at.Paired.Low, 9);
            Assert.Equal(0.7, at.Paired.High, 9);
            Assert.Equal(0.7, at.Shift.Value, 9);
        }
    }

    [Fact]
    public void PairedMedian_ResolvesAnAddedMillisecond_ThroughAnEighteenTo200MsSpreadWithIndependentJitter()
    {
        var rng = new Random(7);
        var direct = Latencies(1600, i => Cost(i) + (rng.NextDouble() * 2));
        var path = Latencies(1600, i => Cost(i) + (rng.NextDouble() * 2) + 1.0);

        var median = PairedComparison.Compare([new(path, direct)], P50And99, blockLength: 64, resamples: 500).At(50).Paired;

        Assert.InRange(median.Value, 0.9, 1.1);
        Assert.True(median.Contains(1.0), $"CI [{median.Low}, {median.High}] should contain the true 1.0 ms");
        Assert.True(median.HalfWidth < 0.15, $"half-width {median.HalfWidth} ms");
    }

    [Fact]
    public void StallOnEveryFiftiethRequest_IsTheP99OfTheDifferences_ButDoesNotMoveTheP99ThatUsersSee()
    {
        // 2% of requests get 20 ms more. Every stalled index is even, so no 16-token request (cost 198 ms) is stalled;
        // only the four 15-token ones (186 + 20 ms) pass them. The path's nearest-rank p99 (17th slowest) is still 198.
        var direct = Latencies(1600, Cost);
        var path = Latencies(1600, i => Cost(i) + (i % 50 == 0 ? 20 : 0));

        var result = PairedComparison.Compare([new(path, direct)], P50And99, blockLength: 64, resamples: 200);

        Assert.Equal(0, result.At(50).Paired.Value);
        Assert.Equal(20, result.At(99).Paired.Value);
        Assert.Equal(0, result.At(99).Shift.Value);
    }

    [Fact]
    public void FailedRequests_DropTheirPair_OnEitherSide()
    {
        var direct = Latencies(100, i => i == 3 ? double.NaN : Cost(i));
        var path = Latencies(100, i => i is 3 or 10 or 11 ? double.NaN : Cost(i) + 2);

        var result = PairedComparison.Compare([new(path, direct)], P50And99, blockLength: 16, resamples: 50);

        Assert.Equal(97, result.Pairs);
        Assert.Equal(2, result.At(50).Paired.Value, 9);
        Assert.Equal(2, result.At(50).Paired.High, 9);
    }

    [Fact]
    public void Rounds_AreStrata_EachKeepsItsWeightInEveryResample()
    {
        // Round 1: 100 pairs adding 1 ms; round 2: 300 pairs adding 3 ms. Pooled, the median is 3 ms; if the bootstrap
        // mixed rounds, some replicates would have more than half their pairs from round 1 and the interval would reach 1.
        var short1 = Latencies(100, Cost);
        var long2 = Latencies(300, Cost);
        PairedComparison.Round[] rounds = [new(short1.Select(d => d + 1).ToArray(), short1), new(long2.Select(d => d + 3).ToArray(), long2)];

        var median = PairedComparison.Compare(rounds, P50And99, blockLength: 32, resamples: 300).At(50).Paired;

        Assert.Equal(3, median.Value, 9);
        Assert.Equal(3, median.Low, 9);
        Assert.Equal(3, median.High, 9);
    }

    [Fact]
    public void SameSeed_GivesTheSameInterval()
    {
        var rng = new Random(3);
        var direct = Latencies(800, i => Cost(i) + (rng.NextDouble() * 4));
        var path = Latencies(800, i => Cost(i) + (rng.NextDouble() * 4));

        var a = PairedComparison.Compare([new(path, direct)], P50And99, blockLength: 32, resamples: 200, seed: 11);
        var b = PairedComparison.Compare([new(path, direct)], P50And99, blockLength: 32, resamples: 200, seed: 11);

        Assert.Equal(a.At(50).Paired, b.At(50).Paired);
        Assert.Equal(a.At(99).Shift, b.At(99).Shift);
    }

    [Fact]
    public void AOnA_TheIntervalCoversZero_AboutAsOftenAsItClaims()
    {
        // 60 A/A comparisons of constructed data (seeded, so the outcome is fixed): both sides the same cost plus
        // independent jitter, 3 rounds of 400 requests. A 95% interval that covered 0 in far fewer would be overconfident.
        var covered = 0;
        const int trials = 60;
        for (var t = 0; t < trials; t++)
        {
            var rng = new Random(1000 + t);
            var rounds = Enumerable.Range(0, 3).Select(_ => new PairedComparison.Round(
                Latencies(400, i => Cost(i) + (rng.NextDouble() * 3)),
                Latencies(400, i => Cost(i) + (rng.NextDouble() * 3)))).ToArray();
            if (PairedComparison.Compare(rounds, P50And99, blockLength: 32, resamples: 300, seed: t).At(50).Paired.Contains(0))
            {
                covered++;
            }
        }

        Assert.InRange(covered, 52, trials);
    }

    [Fact]
    public void NoPairs_GiveNoEstimate_RatherThanAZero()
    {
        var result = PairedComparison.Compare([new([double.NaN], [1.0])], P50And99);

        Assert.Equal(0, result.Pairs);
        Assert.True(double.IsNaN(result.At(50).Paired.Value));
    }
}
