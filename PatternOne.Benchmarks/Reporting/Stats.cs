namespace PatternOne.Benchmarks.Reporting;

/// <summary>Percentiles by nearest rank over a copy of the samples (the sets here are at most a few hundred thousand).</summary>
public static class Stats
{
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return PercentileSorted(sorted, p);
    }

    public static double PercentileSorted(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Rounds for output: 3 significant decimals is enough for milliseconds and rates.</summary>
    public static double Round(double value, int digits = 3) => double.IsFinite(value) ? Math.Round(value, digits) : value;
}
