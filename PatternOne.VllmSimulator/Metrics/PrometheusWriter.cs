using System.Globalization;
using System.Text;
using PatternOne.ServiceDefaults.Prometheus;
using PatternOne.VllmSimulator.Engine;

namespace PatternOne.VllmSimulator.Metrics;

/// <summary>
/// Writes an engine's metrics in Prometheus text format as vLLM's <c>prometheus_client</c> does, through the services'
/// shared <see cref="PrometheusText"/>: labels <c>engine</c> and <c>model_name</c>, floats with a decimal point
/// (<c>0.0</c>, <see cref="PrometheusNumbers.Python"/>), cumulative histogram buckets with <c>le</c> and <c>+Inf</c>,
/// <c>_sum</c> and <c>_count</c>. The scheduler scrapes this every 50 ms, so the text is
/// rebuilt only when the engine changed (see <see cref="IEngineDriver.MetricsText"/>).
/// </summary>
internal sealed class PrometheusWriter
{
    private readonly string _labels;
    private readonly string _cacheConfigLabels;

    public PrometheusWriter(string modelName, EngineOptions options, string engine = "0")
    {
        var model = PrometheusText.Escape(modelName);
        _labels = $"engine=\"{engine}\",model_name=\"{model}\"";
        _cacheConfigLabels =
            $"block_size=\"{options.BlockSize}\",cache_dtype=\"auto\",calculate_kv_scales=\"False\",cpu_offload_gb=\"0\"," +
            $"enable_prefix_caching=\"True\",engine=\"{engine}\",gpu_memory_utilization=\"0.9\",is_attention_free=\"False\"," +
            $"num_cpu_blocks=\"None\",num_gpu_blocks=\"{options.EffectiveNumGpuBlocks}\",num_gpu_blocks_override=\"{(options.NumGpuBlocks?.ToString(CultureInfo.InvariantCulture) ?? "None")}\"," +
            $"prefix_caching_hash_algo=\"sha256\",sliding_window=\"None\",swap_space=\"4\"";
    }

    public string Write(EngineSnapshot snapshot, EngineMetrics metrics)
    {
        var text = new StringBuilder(16 * 1024);
        Gauge(text, VllmMetricNames.NumRequestsRunning, "Number of requests in model execution batches.", snapshot.Running);
        Gauge(text, VllmMetricNames.NumRequestsWaiting, "Number of requests waiting to be processed.", snapshot.Waiting);
        Gauge(text, VllmMetricNames.KvCacheUsagePerc, "KV-cache usage. 1 means 100 percent usage.", snapshot.KvCacheUsage);
        Counter(text, VllmMetricNames.PrefixCacheQueries, "Prefix cache queries, in terms of number of queried tokens.", metrics.PrefixCacheQueries);
        Counter(text, VllmMetricNames.PrefixCacheHits, "Prefix cache hits, in terms of number of cached tokens.", metrics.PrefixCacheHits);
        Counter(text, VllmMetricNames.NumPreemptions, "Cumulative number of preemption from the engine.", metrics.Preemptions);
        Counter(text, VllmMetricNames.PromptTokens, "Number of prefill tokens processed.", metrics.PromptTokens);
        Counter(text, VllmMetricNames.GenerationTokens, "Number of generation tokens processed.", metrics.GenerationTokens);

        PrometheusText.Header(text, VllmMetricNames.RequestSuccess, "Count of successfully processed requests.", "counter");
        SuccessLine(text, "abort", 0);
        SuccessLine(text, "length", metrics.SuccessLength);
        SuccessLine(text, "stop", metrics.SuccessStop);

        PrometheusText.Header(text, VllmMetricNames.CacheConfigInfo, "Information of the LLMEngine CacheConfig", "gauge");
        PrometheusText.Sample(text, VllmMetricNames.CacheConfigInfo, _cacheConfigLabels, 1, PrometheusNumbers.Python);

        Histogram(text, VllmMetricNames.TimeToFirstToken, "Histogram of time to first token in seconds.", metrics.TimeToFirstToken);
        Histogram(text, VllmMetricNames.InterTokenLatency, "Histogram of inter-token latency in seconds.", metrics.InterTokenLatency);
        Histogram(text, VllmMetricNames.RequestTimePerOutputToken, "Histogram of time_per_output_token_seconds per request.", metrics.RequestTimePerOutputToken);
        Histogram(text, VllmMetricNames.E2eRequestLatency, "Histogram of e2e request latency in seconds.", metrics.E2eRequestLatency);
        Histogram(text, VllmMetricNames.RequestQueueTime, "Histogram of time spent in WAITING phase for request.", metrics.RequestQueueTime);
        Histogram(text, VllmMetricNames.RequestInferenceTime, "Histogram of time spent in RUNNING phase for request.", metrics.RequestInferenceTime);
        Histogram(text, VllmMetricNames.RequestPrefillTime, "Histogram of time spent in PREFILL phase for request.", metrics.RequestPrefillTime);
        Histogram(text, VllmMetricNames.RequestDecodeTime, "Histogram of time spent in DECODE phase for request.", metrics.RequestDecodeTime);
        Histogram(text, VllmMetricNames.RequestPromptTokens, "Number of prefill tokens processed.", metrics.RequestPromptTokens);
        Histogram(text, VllmMetricNames.RequestGenerationTokens, "Number of generation tokens processed.", metrics.RequestGenerationTokens);
        Histogram(text, VllmMetricNames.RequestParamsMaxTokens, "Histogram of the max_tokens request parameter.", metrics.RequestParamsMaxTokens);
        Histogram(text, VllmMetricNames.IterationTokens, "Histogram of number of tokens per engine_step.", metrics.IterationTokens);

        Counter(text, MetricNames.RequestsAborted, "Simulator: requests aborted before finishing (client disconnected).", metrics.Aborted);
        Counter(text, MetricNames.KvBlocksEvicted, "Simulator: cached KV blocks evicted to make room.", snapshot.Evictions);
        return text.ToString();
    }

    private void Gauge(StringBuilder text, string name, string help, double value) =>
        PrometheusText.Gauge(text, name, help, _labels, value, PrometheusNumbers.Python);

    private void Counter(StringBuilder text, string name, string help, long value) =>
        PrometheusText.Counter(text, name, help, _labels, value, PrometheusNumbers.Python);

    private void SuccessLine(StringBuilder text, string reason, long value) =>
        PrometheusText.Sample(text, VllmMetricNames.RequestSuccess, _labels + "," + MetricNames.FinishedReasonLabel + "=\"" + reason + "\"", value, PrometheusNumbers.Python);

    private void Histogram(StringBuilder text, string name, string help, Histogram histogram)
    {
        PrometheusText.Header(text, name, help, "histogram");
        Span<long> cumulative = stackalloc long[histogram.Bounds.Length + 1];
        long running = 0;
        for (var i = 0; i <= histogram.Bounds.Length; i++)
        {
            running += histogram.BucketCount(i);
            cumulative[i] = running;
        }

        PrometheusText.HistogramSeries(text, name, _labels, histogram.Bounds.AsSpan(), cumulative, histogram.Sum, histogram.Count, PrometheusNumbers.Python);
    }
}
