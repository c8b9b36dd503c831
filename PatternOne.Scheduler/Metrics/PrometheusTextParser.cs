using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace PatternOne.Scheduler.Metrics;

/// <summary>
/// Reads the handful of vLLM series the scheduler needs from Prometheus text exposition, straight from the
/// response bytes: one pass, no per-line strings, everything else skipped. Several series of one metric (one per
/// engine or model label set) are summed for counts; the KV use is the highest of them.
/// </summary>
public static class PrometheusTextParser
{
    public const string NumRequestsWaiting = "vllm:num_requests_waiting";
    public const string NumRequestsRunning = "vllm:num_requests_running";
    public const string KvCacheUsagePerc = "vllm:kv_cache_usage_perc";

    /// <summary>The pre-2025 name of <see cref="KvCacheUsagePerc"/>, still read when the new one is absent.</summary>
    public const string GpuCacheUsagePerc = "vllm:gpu_cache_usage_perc";

    public const string CacheConfigInfo = "vllm:cache_config_info";

    private static readonly byte[] Waiting = Encoding.UTF8.GetBytes(NumRequestsWaiting);
    private static readonly byte[] Running = Encoding.UTF8.GetBytes(NumRequestsRunning);
    private static readonly byte[] KvUsage = Encoding.UTF8.GetBytes(KvCacheUsagePerc);
    private static readonly byte[] GpuUsage = Encoding.UTF8.GetBytes(GpuCacheUsagePerc);
    private static readonly byte[] CacheConfig = Encoding.UTF8.GetBytes(CacheConfigInfo);
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

        while (!text.IsEmpty)
        {
            var end = text.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            if (line.IsEmpty || line[0] == (byte)'#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny((byte)'{', (byte)' ');
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            ReadOnlySpan<byte> labels = default;
            var rest = line[nameEnd..];
            if (rest[0] == (byte)'{')
            {
                var close = rest.LastIndexOf((byte)'}');
                if (close < 0)
                {
                    continue;
                }

                labels = rest[1..close];
                rest = rest[(close + 1)..];
            }

            if (name.SequenceEqual(CacheConfig))
            {
                if (TryLabelInt(labels, BlockSizeLabel, out var bs))
                {
                    blockSize = (int)bs;
                }

                if (TryLabelInt(labels, NumGpuBlocksLabel, out var nb))
                {
                    gpuBlocks = nb;
                }

                continue;
            }

            var isWaiting = name.SequenceEqual(Waiting);
            var isRunning = !isWaiting && name.SequenceEqual(Running);
            var isKv = !isWaiting && !isRunning && name.SequenceEqual(KvUsage);
            var isGpu = !isWaiting && !isRunning && !isKv && name.SequenceEqual(GpuUsage);
            if (!(isWaiting || isRunning || isKv || isGpu) || !TryValue(rest, out var value))
            {
                continue;
            }

            if (isWaiting)
            {
                waiting += value;
                seenQueue = true;
            }
            else if (isRunning)
            {
                running += value;
                seenQueue = true;
            }
            else if (isKv)
            {
                kv = double.IsNaN(kv) ? value : Math.Max(kv, value);
            }
            else
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

    /// <summary>The sample value: first token after the name/labels (a timestamp may follow).</summary>
    private static bool TryValue(ReadOnlySpan<byte> rest, out double value)
    {
        rest = rest.TrimStart((byte)' ');
        var space = rest.IndexOfAny((byte)' ', (byte)'\r');
        var token = space < 0 ? rest : rest[..space];
        if (Utf8Parser.TryParse(token, out value, out var consumed) && consumed == token.Length)
        {
            return true;
        }

        // NaN and ±Inf are legal in the exposition format; Utf8Parser does not read them.
        var text = Encoding.ASCII.GetString(token);
        return double.TryParse(text.Replace("Inf", "Infinity", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Finds <c>label="123"</c> (or a float like <c>"16.0"</c>) in a label set.</summary>
    private static bool TryLabelInt(ReadOnlySpan<byte> labels, ReadOnlySpan<byte> label, out long value)
    {
        value = 0;
        while (!labels.IsEmpty)
        {
            var eq = labels.IndexOf((byte)'=');
            if (eq < 0 || eq + 1 >= labels.Length || labels[eq + 1] != (byte)'"')
            {
                return false;
            }

            var key = labels[..eq].Trim((byte)' ').TrimStart((byte)',').Trim((byte)' ');
            var afterQuote = labels[(eq + 2)..];
            var closing = afterQuote.IndexOf((byte)'"');
            if (closing < 0)
            {
                return false;
            }

            var raw = afterQuote[..closing];
            if (key.SequenceEqual(label))
            {
                if (Utf8Parser.TryParse(raw, out long whole, out var used) && used == raw.Length)
                {
                    value = whole;
                    return true;
                }

                if (Utf8Parser.TryParse(raw, out double real, out used) && used == raw.Length && double.IsFinite(real))
                {
                    value = (long)real;
                    return true;
                }

                return false;
            }

            labels = afterQuote[(closing + 1)..];
        }

        return false;
    }
}
