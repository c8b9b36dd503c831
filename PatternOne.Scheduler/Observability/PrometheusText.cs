using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace PatternOne.Scheduler.Observability;

/// <summary>A counter family keyed by a pre-rendered label set (<c>a="x",b="y"</c>).</summary>
internal sealed class CounterFamily(string name, string help)
{
    private readonly ConcurrentDictionary<string, StrongBox> _series = new(StringComparer.Ordinal);

    public void Increment(string labels, long by = 1) => Interlocked.Add(ref _series.GetOrAdd(labels, _ => new StrongBox()).Value, by);

    public long Get(string labels) => _series.TryGetValue(labels, out var box) ? Interlocked.Read(ref box.Value) : 0;

    public void WriteTo(StringBuilder output)
    {
        PrometheusText.Header(output, name, help, "counter");
        foreach (var (labels, box) in _series.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            PrometheusText.Sample(output, name, labels, Interlocked.Read(ref box.Value));
        }
    }

    private sealed class StrongBox
    {
        public long Value;
    }
}

/// <summary>A histogram family with fixed buckets, lock-free on the hot path.</summary>
internal sealed class HistogramFamily(string name, string help, double[] buckets)
{
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

    public void Observe(string labels, double value) => _series.GetOrAdd(labels, _ => new Series(buckets.Length)).Observe(buckets, value);

    public long Count(string labels) => _series.TryGetValue(labels, out var s) ? Interlocked.Read(ref s.Count) : 0;

    public void WriteTo(StringBuilder output)
    {
        PrometheusText.Header(output, name, help, "histogram");
        foreach (var (labels, series) in _series.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var prefix = labels.Length == 0 ? "" : labels + ",";
            long cumulative = 0;
            for (var i = 0; i < buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref series.Buckets[i]);
                PrometheusText.Sample(output, name + "_bucket", prefix + "le=\"" + PrometheusText.Format(buckets[i]) + "\"", cumulative);
            }

            var count = Interlocked.Read(ref series.Count);
            PrometheusText.Sample(output, name + "_bucket", prefix + "le=\"+Inf\"", count);
            PrometheusText.Sample(output, name + "_sum", labels, series.Sum);
            PrometheusText.Sample(output, name + "_count", labels, count);
        }
    }

    private sealed class Series(int buckets)
    {
        public readonly long[] Buckets = new long[buckets];
        public long Count;
        private long _sumBits;

        public double Sum => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _sumBits));

        public void Observe(double[] bounds, double value)
        {
            var index = Array.BinarySearch(bounds, value);
            if (index < 0)
            {
                index = ~index;
            }

            if (index < bounds.Length)
            {
                Interlocked.Increment(ref Buckets[index]);
            }

            Interlocked.Increment(ref Count);
            long seen, updated;
            do
            {
                seen = Interlocked.Read(ref _sumBits);
                updated = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + value);
            }
            while (Interlocked.CompareExchange(ref _sumBits, updated, seen) != seen);
        }
    }
}

/// <summary>Prometheus text exposition format 0.0.4 helpers.</summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Header(StringBuilder output, string name, string help, string type) =>
        output.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
              .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    public static void Sample(StringBuilder output, string name, string labels, double value)
    {
        output.Append(name);
        if (labels.Length > 0)
        {
            output.Append('{').Append(labels).Append('}');
        }

        output.Append(' ').Append(Format(value)).Append('\n');
    }

    public static void Gauge(StringBuilder output, string name, string help, string labels, double value)
    {
        Header(output, name, help, "gauge");
        Sample(output, name, labels, value);
    }

    public static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Renders <c>k="v"</c> pairs with the format's escaping.</summary>
    public static string Labels(params (string Key, string Value)[] pairs)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(key).Append("=\"")
                .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                .Append('"');
        }

        return builder.ToString();
    }
}
