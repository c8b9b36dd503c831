using System.Collections.Immutable;
using PatternOne.ServiceDefaults.Prometheus;

namespace PatternOne.VllmSimulator.Metrics;

/// <summary>
/// What the simulator adds to vLLM's exposition: its own <c>sim:</c> counters, the label names and vLLM V1's histogram
/// buckets. vLLM's metric names themselves are in <see cref="VllmMetricNames"/>, shared with the scheduler and the AppHost that read them.
/// </summary>
public static class MetricNames
{

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
