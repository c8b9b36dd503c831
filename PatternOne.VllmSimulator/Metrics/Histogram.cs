using System.Collections.Immutable;

namespace PatternOne.VllmSimulator.Metrics;

/// <summary>A Prometheus histogram with fixed upper bounds (cumulative on export). Updated by the engine thread only.</summary>
public sealed class Histogram
{
    private readonly long[] _counts;

    public Histogram(ImmutableArray<double> bounds)
    {
        Bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    /// <summary>Upper bounds, ascending, without +Inf.</summary>
    public ImmutableArray<double> Bounds { get; }

    /// <summary>Observations.</summary>
    public long Count { get; private set; }

    /// <summary>Sum of observations.</summary>
    public double Sum { get; private set; }

    /// <summary>Observations ≤ bound <paramref name="index"/> (non-cumulative; the last slot is +Inf).</summary>
    public long BucketCount(int index) => _counts[index];

    internal void Observe(double value)
    {
        var i = 0;
        while (i < Bounds.Length && value > Bounds[i])
        {
            i++;
        }

        _counts[i]++;
        Count++;
        Sum += value;
    }

    /// <summary>vLLM's <c>build_1_2_5_buckets(max)</c>: 1, 2, 5, 10, 20, 50, … up to <paramref name="max"/>.</summary>
    public static ImmutableArray<double> OneTwoFive(int max)
    {
        var builder = ImmutableArray.CreateBuilder<double>();
        for (long exponent = 1; ; exponent *= 10)
        {
            foreach (var mantissa in (ReadOnlySpan<int>)[1, 2, 5])
            {
                var value = mantissa * exponent;
                if (value > max)
                {
                    return builder.ToImmutable();
                }

                builder.Add(value);
            }
        }
    }
}
