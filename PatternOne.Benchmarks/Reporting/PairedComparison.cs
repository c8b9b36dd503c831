namespace PatternOne.Benchmarks.Reporting;

/// <summary>
/// What one path adds over a baseline when both ran the same request schedule: request i has the same intended start
/// and the same body on both, so latency(path, i) − latency(baseline, i) cancels what the request itself costs (its
/// max_tokens, the replica's batch at that point of the schedule) and leaves what the path adds plus the replica's own
/// non-repeatable jitter. Rounds are strata: pairs are only formed within a round, and the bootstrap resamples each
/// round separately.
/// <para>
/// Two estimates per percentile, each with a 95% percentile-bootstrap interval from a moving-block bootstrap of the pairs
/// (blocks of consecutive requests, so a stall that hits a run of neighbours is resampled as a whole):
/// <list type="bullet">
/// <item><b>paired</b>: the percentile of the per-request differences (p50 = the typical request's added latency;
/// p99 = 99% of requests got at most this much added, which includes the jitter an A/A comparison shows).</item>
/// <item><b>shift</b>: the path's percentile minus the baseline's, over the pooled rounds (the user-visible change of
/// p99); pairs are resampled together, so the requests' shared cost still cancels in the interval.</item>
/// </list>
/// </para>
/// </summary>
public static class PairedComparison
{
    /// <summary>A point estimate with its 95% bootstrap interval.</summary>
    public readonly record struct Estimate(double Value, double Low, double High)
    {
        public bool Contains(double x) => Low <= x && x <= High;

        public double HalfWidth => (High - Low) / 2;
    }

    /// <summary>The estimates at one percentile.</summary>
    public sealed record AtPercentile(double Percentile, Estimate Paired, Estimate Shift);

    /// <summary>The comparison at every requested percentile, and how many pairs it rests on.</summary>
    public sealed record Result(int Pairs, IReadOnlyList<AtPercentile> Percentiles)
    {
        public AtPercentile At(double percentile) => Percentiles.First(p => p.Percentile == percentile);
    }

    /// <summary>One round: latencies by request index on the path and on the baseline (NaN = the request failed).</summary>
    public sealed record Round(double[] Path, double[] Baseline);

    /// <summary>
    /// Compares <paramref name="rounds"/> at <paramref name="percentiles"/>. A pair counts when both requests succeeded.
    /// <paramref name="blockLength"/> consecutive pairs form a bootstrap block (clamped to each round's pair count);
    /// <paramref name="resamples"/> bootstrap replicates, drawn from <paramref name="seed"/> so a run is repeatable.
    /// </summary>
    public static Result Compare(IReadOnlyList<Round> rounds, IReadOnlyList<double> percentiles, int blockLength = 64, int resamples = 1000, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        var pairs = rounds.Select(Pairs).Where(r => r.Length > 0).ToArray();
        var total = pairs.Sum(r => r.Length);
        if (total == 0)
        {
            var none = new Estimate(double.NaN, double.NaN, double.NaN);
            return new Result(0, percentiles.Select(p => new AtPercentile(p, none, none)).ToArray());
        }

        var point = Evaluate(pairs.SelectMany(r => r).ToArray(), percentiles);
        var replicates = new double[resamples][];
        var rng = new Random(seed);
        var sample = new (double Path, double Baseline)[total];
        for (var b = 0; b < resamples; b++)
        {
            var filled = 0;
            foreach (var round in pairs)
            {
                // Moving blocks within the round until it has as many pairs as it had: each round keeps its weight.
                var length = Math.Min(blockLength, round.Length);
                for (var taken = 0; taken < round.Length;)
                {
                    var start = rng.Next(round.Length - length + 1);
                    var n = Math.Min(length, round.Length - taken);
                    Array.Copy(round, start, sample, filled, n);
                    filled += n;
                    taken += n;
                }
            }

            replicates[b] = Evaluate(sample, percentiles);
        }

        var result = new AtPercentile[percentiles.Count];
        for (var i = 0; i < percentiles.Count; i++)
        {
            result[i] = new AtPercentile(percentiles[i],
                Interval(point[2 * i], replicates.Select(r => r[2 * i])),
                Interval(point[(2 * i) + 1], replicates.Select(r => r[(2 * i) + 1])));
        }

        return new Result(total, result);
    }

    private static (double Path, double Baseline)[] Pairs(Round round)
    {
        var n = Math.Min(round.Path.Length, round.Baseline.Length);
        var pairs = new List<(double, double)>(n);
        for (var i = 0; i < n; i++)
        {
            if (!double.IsNaN(round.Path[i]) && !double.IsNaN(round.Baseline[i]))
            {
                pairs.Add((round.Path[i], round.Baseline[i]));
            }
        }

        return [.. pairs];
    }

    /// <summary>Per percentile: [paired difference, shift], interleaved.</summary>
    private static double[] Evaluate((double Path, double Baseline)[] pairs, IReadOnlyList<double> percentiles)
    {
        var differences = new double[pairs.Length];
        var path = new double[pairs.Length];
        var baseline = new double[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            differences[i] = pairs[i].Path - pairs[i].Baseline;
            path[i] = pairs[i].Path;
            baseline[i] = pairs[i].Baseline;
        }

        Array.Sort(differences);
        Array.Sort(path);
        Array.Sort(baseline);
        var values = new double[2 * percentiles.Count];
        for (var i = 0; i < percentiles.Count; i++)
        {
            values[2 * i] = Stats.PercentileSorted(differences, percentiles[i]);
            values[(2 * i) + 1] = Stats.PercentileSorted(path, percentiles[i]) - Stats.PercentileSorted(baseline, percentiles[i]);
        }

        return values;
    }

    /// <summary>The 2.5th and 97.5th percentiles of the bootstrap replicates around the point estimate.</summary>
    private static Estimate Interval(double value, IEnumerable<double> replicates)
    {
        var sorted = replicates.ToArray();
        Array.Sort(sorted);
        return new Estimate(value, Stats.PercentileSorted(sorted, 2.5), Stats.PercentileSorted(sorted, 97.5));
    }
}
