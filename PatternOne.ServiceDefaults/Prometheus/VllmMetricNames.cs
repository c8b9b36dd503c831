namespace PatternOne.ServiceDefaults.Prometheus;

/// <summary>
/// vLLM V1's Prometheus names (vllm/v1/metrics/loggers.py), exactly as vLLM exposes them: the simulator writes them,
/// the scheduler's scrape and the AppHost's dashboard read them.
/// </summary>
public static class VllmMetricNames
{
    public const string NumRequestsRunning = "vllm:num_requests_running";
    public const string NumRequestsWaiting = "vllm:num_requests_waiting";
    public const string KvCacheUsagePerc = "vllm:kv_cache_usage_perc";

    /// <summary>The pre-2025 name of <see cref="KvCacheUsagePerc"/>, which older vLLM images still expose.</summary>
    public const string GpuCacheUsagePerc = "vllm:gpu_cache_usage_perc";

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
}
