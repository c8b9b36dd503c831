using System.Collections.Immutable;

namespace PatternOne.VllmSimulator.Metrics;

/// <summary>vLLM V1's Prometheus names (vllm/v1/metrics/loggers.py), exactly as vLLM exposes them.</summary>
public static class MetricNames
{
    public const string NumRequestsRunning = "vllm:num_requests_running";
    public const string NumRequestsWaiting = "vllm:num_requests_waiting";
    public const string KvCacheUsagePerc = "vllm:kv_cache_usage_perc";
    public const string PrefixCacheQueries = "vllm:prefix_cache_queries_total";
    public const string PrefixCacheHits = "vllm:prefix_cache_hits_total";
    public const string NumPreemptions = "vllm:num_preemptions_total";
    public const string PromptTokens = "vllm:prompt_tokens_total";
    public const string GenerationTokens = "vllm:generation_tokens_total";
    public const string RequestSuccess = "vllm:request_success_total";
    public const string CacheConfigInfo = "vllm:cache_config_info";
    public const string TimeToFirstToken = "vllm:time_to_first_token_seconds";
    public const string InterTokenLatency = "vllm:inter_token_latency_seconds";
    public const string RequestTimePerOutputToken = "vllm:request_time_per_output_token_seconds";
    public const string E2eRequestLatency = "vllm:e2e_request_latency_seconds";
    public const string RequestQueueTime = "vllm:request_queue_time_seconds";
    public const string RequestInferenceTime = "vllm:request_inference_time_seconds";
    public const string RequestPrefillTime = "vllm:request_prefill_time_seconds";
    public const string RequestDecodeTime = "vllm:request_decode_time_seconds";
    public const string RequestPromptTokens = "vllm:request_prompt_tokens";
    public const string RequestGenerationTokens = "vllm:request_generation_tokens";
    public const string RequestParamsMaxTokens = "vllm:request_params_max_tokens";
    public const string IterationTokens = "vllm:iteration_tokens_total";

    /// <summary>Ours, not vLLM's: requests aborted before finishing (client disconnects). vLLM logs these but does not
    /// count them in <c>vllm:request_success_total</c>; the <c>sim:</c> prefix marks the name as the simulator's.</summary>
    public const string RequestsAborted = "sim:requests_aborted_total";

    /// <summary>Ours: cached KV blocks evicted to make room.</summary>
    public const string KvBlocksEvicted = "sim:kv_blocks_evicted_total";

    public const string ModelNameLabel = "model_name";
    public const string EngineLabel = "engine";
    public const string FinishedReasonLabel = "finished_reason";

    public static readonly ImmutableArray<double> TtftBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];

    public static readonly ImmutableArray<double> TokenLatencyBuckets =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

    public static readonly ImmutableArray<double> RequestLatencyBuckets =
        [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];

    public static readonly ImmutableArray<double> IterationTokenBuckets =
        [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
}
