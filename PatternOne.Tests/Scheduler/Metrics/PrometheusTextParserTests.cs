using System.Text;
using PatternOne.Scheduler.Metrics;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Metrics;

public class PrometheusTextParserTests
{
    private const string VllmSample = """
        # HELP vllm:num_requests_running Number of requests in model execution batches.
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-3B-Instruct"} 4.0
        # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen2.5-3B-Instruct"} 7.0
        # HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
        # TYPE vllm:kv_cache_usage_perc gauge
        vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen2.5-3B-Instruct"} 0.4375
        # HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
        # TYPE vllm:cache_config_info gauge
        vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",engine="0",num_gpu_blocks="27546"} 1.0
        vllm:num_requests_waiting_by_reason{reason="capacity"} 99
        vllm:prompt_tokens_total{engine="0",model_name="Qwen/Qwen2.5-3B-Instruct"} 123456.0
        """;

    [Fact]
    public void TryParse_ReadsTheFourVllmSignals()
    {
        Assert.True(PrometheusTextParser.TryParse(Encoding.UTF8.GetBytes(VllmSample), Now, out var metrics));

        Assert.Equal(7, metrics.WaitingRequests);
        Assert.Equal(4, metrics.RunningRequests);
        Assert.Equal(0.4375, metrics.KvCacheUsage);
        Assert.Equal(16, metrics.KvBlockSize);
        Assert.Equal(27546, metrics.KvTotalBlocks);
        Assert.Equal(Now, metrics.ScrapedAt);
    }

    [Theory]
    [InlineData("vllm:num_requests_waiting{engine=\"0\"} 2\nvllm:num_requests_waiting{engine=\"1\"} 3\nvllm:num_requests_running 1", 5, 1, 0.0)]
    [InlineData("vllm:num_requests_waiting 1 1700000000000\r\nvllm:num_requests_running 2\r\n", 1, 2, 0.0)]
    [InlineData("vllm:num_requests_waiting 0\nvllm:gpu_cache_usage_perc 0.25", 0, 0, 0.25)]
    [InlineData("vllm:num_requests_waiting 0\nvllm:kv_cache_usage_perc 0.5\nvllm:gpu_cache_usage_perc 0.25", 0, 0, 0.5)]
    [InlineData("vllm:num_requests_waiting NaN\nvllm:num_requests_running +Inf\nvllm:kv_cache_usage_perc 1.5", 0, 0, 1.0)]
    [InlineData("vllm:num_requests_waiting{model_name=\"a,b\",x=\"}\"} 6", 6, 0, 0.0)]
    public void TryParse_HandlesSeriesTimestampsAndOddValues(string text, int waiting, int running, double kv)
    {
        Assert.True(PrometheusTextParser.TryParse(Encoding.UTF8.GetBytes(text), Now, out var metrics));

        Assert.Equal(waiting, metrics.WaitingRequests);
        Assert.Equal(running, metrics.RunningRequests);
        Assert.Equal(kv, metrics.KvCacheUsage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("# only comments\nprocess_cpu_seconds_total 12")]
    public void TryParse_WithoutQueueMetrics_ReportsFailure(string text)
    {
        Assert.False(PrometheusTextParser.TryParse(Encoding.UTF8.GetBytes(text), Now, out _));
    }
}
