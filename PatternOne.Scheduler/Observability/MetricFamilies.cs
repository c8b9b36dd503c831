using System.Collections.Concurrent;
using System.Text;
using PatternOne.ServiceDefaults.Prometheus;

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
        Span<long> cumulative = stackalloc long[buckets.Length + 1];
        foreach (var (labels, series) in _series.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            long running = 0;
            for (var i = 0; i < buckets.Length; i++)
            {
                running += Interlocked.Read(ref series.Buckets[i]);
                cumulative[i] = running;
            }

            var count = Interlocked.Read(ref series.Count);
            cumulative[buckets.Length] = count;
            PrometheusText.HistogramSeries(output, name, labels, buckets, cumulative, series.Sum, count);
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
