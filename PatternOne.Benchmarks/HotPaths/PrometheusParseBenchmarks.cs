using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using PatternOne.Scheduler.Metrics;

namespace PatternOne.Benchmarks.HotPaths;

/// <summary>
/// The scheduler's scrape parse: one vLLM <c>/metrics</c> page (every 50 ms per endpoint). The page is built like
/// vLLM v1's: the four series the scheduler reads among gauges, counters and a dozen histograms with their buckets,
/// so the parser has to skip realistic volume (~30 KB).
/// </summary>
[MemoryDiagnoser]
public class PrometheusParseBenchmarks
{
    private byte[] _page = [];

    [GlobalSetup]
    public void Setup() => _page = Encoding.UTF8.GetBytes(VllmMetricsPage());

    [Benchmark]
    public int ParseVllmMetricsPage()
    {
        PrometheusTextParser.TryParse(_page, DateTimeOffset.UnixEpoch, out var metrics);
        return metrics.WaitingRequests;
    }

    /// <summary>A vLLM-shaped exposition: labels, HELP/TYPE lines, histograms.</summary>
    internal static string VllmMetricsPage()
    {
        const string Labels = "engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\"";
        var sb = new StringBuilder();
        void Gauge(string name, string value, string extraLabels = "")
        {
            sb.Append("# HELP ").Append(name).Append(" Gauge.\n# TYPE ").Append(name).Append(" gauge\n");
            sb.Append(name).Append('{').Append(Labels).Append(extraLabels).Append("} ").Append(value).Append('\n');
        }

        void Counter(string name, string value)
        {
            sb.Append("# HELP ").Append(name).Append(" Counter.\n# TYPE ").Append(name).Append(" counter\n");
            sb.Append(name).Append("_total{").Append(Labels).Append("} ").Append(value).Append('\n');
            sb.Append(name).Append("_created{").Append(Labels).Append("} 1.7642e+09\n");
        }

        void Histogram(string name, double[] buckets)
        {
            sb.Append("# HELP ").Append(name).Append(" Histogram.\n# TYPE ").Append(name).Append(" histogram\n");
            var count = 0;
            foreach (var b in buckets)
            {
                count += 3;
                sb.Append(name).Append("_bucket{").Append(Labels).Append(",le=\"").Append(b.ToString("0.0###", CultureInfo.InvariantCulture)).Append("\"} ").Append(count).Append('\n');
            }

            sb.Append(name).Append("_bucket{").Append(Labels).Append(",le=\"+Inf\"} ").Append(count).Append('\n');
            sb.Append(name).Append("_count{").Append(Labels).Append("} ").Append(count).Append('\n');
            sb.Append(name).Append("_sum{").Append(Labels).Append("} 123.456\n");
        }

        var latency = new[] { 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0 };
        var tokens = new[] { 1.0, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000 };
        Gauge("vllm:num_requests_running", "12.0");
        Gauge("vllm:num_requests_waiting", "3.0");
        Gauge("vllm:kv_cache_usage_perc", "0.42");
        sb.Append("# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n# TYPE vllm:cache_config_info gauge\n");
        sb.Append("vllm:cache_config_info{block_size=\"16\",cache_dtype=\"auto\",enable_prefix_caching=\"True\",engine=\"0\",gpu_memory_utilization=\"0.9\",num_cpu_blocks=\"None\",num_gpu_blocks=\"4096\",num_gpu_blocks_override=\"None\"} 1.0\n");
        Counter("vllm:num_preemptions", "0.0");
        Counter("vllm:prompt_tokens", "123456.0");
        Counter("vllm:generation_tokens", "654321.0");
        Counter("vllm:prefix_cache_queries", "100000.0");
        Counter("vllm:prefix_cache_hits", "80000.0");
        foreach (var reason in new[] { "stop", "length", "abort" })
        {
            sb.Append("vllm:request_success_total{").Append(Labels).Append(",finished_reason=\"").Append(reason).Append("\"} 42.0\n");
        }

        Histogram("vllm:time_to_first_token_seconds", latency);
        Histogram("vllm:inter_token_latency_seconds", latency);
        Histogram("vllm:request_time_per_output_token_seconds", latency);
        Histogram("vllm:e2e_request_latency_seconds", latency);
        Histogram("vllm:request_queue_time_seconds", latency);
        Histogram("vllm:request_inference_time_seconds", latency);
        Histogram("vllm:request_prefill_time_seconds", latency);
        Histogram("vllm:request_decode_time_seconds", latency);
        Histogram("vllm:request_prompt_tokens", tokens);
        Histogram("vllm:request_generation_tokens", tokens);
        Histogram("vllm:request_params_max_tokens", tokens);
        Histogram("vllm:iteration_tokens_total", tokens);
        return sb.ToString();
    }
}
