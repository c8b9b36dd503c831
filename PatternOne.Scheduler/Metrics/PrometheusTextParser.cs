using System.Text;
using PatternOne.ServiceDefaults.Prometheus;

namespace PatternOne.Scheduler.Metrics;

/// <summary>
/// Reads the handful of vLLM series the scheduler needs from Prometheus text exposition, straight from the
/// response bytes (<see cref="PrometheusTextReader"/>: one pass, no per-line strings), everything else skipped.
/// Several series of one metric (one per engine or model label set) are summed for counts; the KV use is the
/// highest of them; the pre-2025 <c>vllm:gpu_cache_usage_perc</c> is read when the new name is absent.
/// </summary>
public static class PrometheusTextParser
{
    private static readonly byte[] Waiting = Encoding.UTF8.GetBytes(VllmMetricNames.NumRequestsWaiting);
    private static readonly byte[] Running = Encoding.UTF8.GetBytes(VllmMetricNames.NumRequestsRunning);
    private static readonly byte[] KvUsage = Encoding.UTF8.GetBytes(VllmMetricNames.KvCacheUsagePerc);
    private static readonly byte[] GpuUsage = Encoding.UTF8.GetBytes(VllmMetricNames.GpuCacheUsagePerc);
    private static readonly byte[] CacheConfig = Encoding.UTF8.GetBytes(VllmMetricNames.CacheConfigInfo);
    private static readonly byte[] BlockSizeLabel = "block_size"u8.ToArray();
    private static readonly byte[] NumGpuBlocksLabel = "num_gpu_blocks"u8.ToArray();

    /// <summary>
    /// Parses <paramref name="text"/>. Returns false when neither queue metric is present (not a vLLM endpoint, or
    /// an error page), so the caller keeps its previous data and lets it go stale.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, DateTimeOffset scrapedAt, out EndpointMetrics metrics)
    {
        double waiting = 0, running = 0, kv = double.NaN, gpu = double.NaN;
        int? blockSize = null;
        long? gpuBlocks = null;
        var seenQueue = false;

        var reader = new PrometheusTextReader(text);
        while (reader.TryRead(out var sample))
        {
            var name = sample.Name;
            if (name.SequenceEqual(CacheConfig))
            {
                var labels = sample.Labels;
                if (PrometheusLabels.TryGetInteger(labels, BlockSizeLabel, out var bs))
                {
                    blockSize = (int)bs;
                }

                if (PrometheusLabels.TryGetInteger(labels, NumGpuBlocksLabel, out var nb))
                {
                    gpuBlocks = nb;
                }
            }
            // The value is parsed for the wanted series only: most lines of a vLLM page are histogram buckets.
            else if (name.SequenceEqual(Waiting) && sample.TryGetValue(out var value))
            {
                waiting += value;
                seenQueue = true;
            }
            else if (name.SequenceEqual(Running) && sample.TryGetValue(out value))
            {
                running += value;
                seenQueue = true;
            }
            else if (name.SequenceEqual(KvUsage) && sample.TryGetValue(out value))
            {
                kv = double.IsNaN(kv) ? value : Math.Max(kv, value);
            }
            else if (name.SequenceEqual(GpuUsage) && sample.TryGetValue(out value))
            {
                gpu = double.IsNaN(gpu) ? value : Math.Max(gpu, value);
            }
        }

        var usage = !double.IsNaN(kv) ? kv : !double.IsNaN(gpu) ? gpu : 0;
        metrics = new EndpointMetrics
        {
            WaitingRequests = ToCount(waiting),
            RunningRequests = ToCount(running),
            KvCacheUsage = Math.Clamp(usage, 0, 1),
            KvBlockSize = blockSize,
            KvTotalBlocks = gpuBlocks,
            ScrapedAt = scrapedAt,
        };
        return seenQueue;
    }

    private static int ToCount(double value) =>
        double.IsFinite(value) ? (int)Math.Clamp(Math.Round(value), 0, int.MaxValue) : 0;
}
