using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Metrics;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Saturation;
using PatternOne.Scheduler.Scheduling;
using PatternOne.Scheduler.Scorers;
using PatternOne.ServiceDefaults.Prometheus;

namespace PatternOne.Scheduler.Observability;

/// <summary>
/// The scheduler's own metrics with upstream's names (GIE v1.x, what existing EPP dashboards query), written as
/// Prometheus text on <c>Scheduler:MetricsPort</c>/metrics, and the headline ones mirrored to OpenTelemetry for the
/// Aspire dashboard.
/// </summary>
public sealed class SchedulerMetrics : ISchedulingObserver, IDisposable
{
    public const string MeterName = "PatternOne.Scheduler";

    // Upstream's scheduler buckets are sub-millisecond heavy: a pick costs microseconds.
    private static readonly double[] LatencyBuckets = [0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1];
    private static readonly double[] SizeBuckets = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];
    private static readonly double[] RatioBuckets = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    private readonly HistogramFamily _e2e = new("inference_extension_scheduler_e2e_duration_seconds", "End-to-end scheduling latency.", LatencyBuckets);
    private readonly HistogramFamily _plugins = new("inference_extension_plugin_duration_seconds", "Plugin processing latency.", LatencyBuckets);
    private readonly CounterFamily _attempts = new("inference_extension_scheduler_attempts_total", "Scheduling attempts by status.");
    private readonly CounterFamily _requests = new("inference_objective_request_total", "Requests scheduled, by model.");
    private readonly CounterFamily _errors = new("inference_objective_request_error_total", "Requests refused or failed, by model and error code.");
    private readonly HistogramFamily _sizes = new("inference_objective_request_sizes", "Request body size in bytes.", SizeBuckets);
    // Ours (upstream has no per-endpoint pick count): which replica each scheduled request went to, for the share of picks.
    private readonly CounterFamily _picks = new("patternone_scheduler_picks_total", "Requests scheduled, by primary endpoint.");
    private readonly HistogramFamily _prefixHits = new("inference_extension_prefix_indexer_hit_ratio", "Share of a request's prefix blocks found on the picked endpoint.", RatioBuckets);

    // Label sets rendered once: a pick reports every plugin, and rendering each label string anew cost the
    // scheduler a StringBuilder and several strings per plugin per request (issue 11).
    private const int MaxRememberedModels = 256;
    private static readonly string SuccessLabels = PrometheusText.Labels(("status", "success"));
    private static readonly string FailureLabels = PrometheusText.Labels(("status", "failure"));
    private readonly ConcurrentDictionary<(string Point, string Type, string Name), string> _pluginLabels = new();
    private readonly ConcurrentDictionary<string, string> _modelLabels = new(StringComparer.Ordinal);

    private readonly EndpointPool _pool;
    private readonly TimeProvider _time;
    private readonly string _poolName;
    private readonly Meter _meter;
    private readonly Counter<long> _otelRequests;
    private readonly Histogram<double> _otelPick;

    public SchedulerMetrics(EndpointPool pool, IOptions<InferencePoolOptions> poolOptions, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(poolOptions);
        _pool = pool;
        _time = time;
        _poolName = poolOptions.Value.Name;
        _meter = new Meter(MeterName);
        _otelRequests = _meter.CreateCounter<long>("patternone.scheduler.requests", description: "Scheduling decisions by outcome.");
        _otelPick = _meter.CreateHistogram<double>("patternone.scheduler.pick.duration", "s", "Time to pick an endpoint.");
        _meter.CreateObservableGauge("patternone.scheduler.pool.ready_endpoints", () => _pool.Endpoints.Count, description: "Endpoints in the pool.");
    }

    public void OnPluginCompleted(string extensionPoint, string pluginType, string pluginName, TimeSpan elapsed) =>
        _plugins.Observe(_pluginLabels.GetOrAdd((extensionPoint, pluginType, pluginName), static key =>
            PrometheusText.Labels(("extension_point", key.Point), ("plugin_type", key.Type), ("plugin_name", key.Name))), elapsed.TotalSeconds);

    public void OnPickCompleted(SchedulingResult result, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(result);
        _e2e.Observe("", elapsed.TotalSeconds);
        _attempts.Increment(result.Outcome == SchedulingOutcome.Scheduled ? SuccessLabels : FailureLabels);
        _otelPick.Record(elapsed.TotalSeconds);
        if (result.Outcome == SchedulingOutcome.Scheduled)
        {
            _picks.Increment(PrometheusText.Labels(("model_server_pod", result.Primary.Address), ("name", _poolName)));
        }

        if (result.PrefixTotalBlocks > 0)
        {
            _prefixHits.Observe("", (double)result.PrefixMatchedBlocks / result.PrefixTotalBlocks);
        }
    }

    /// <summary>A request was routed (<paramref name="outcome"/> <c>scheduled</c>) or refused (the error code).</summary>
    public void RecordRequest(string model, long bodyBytes, string outcome, int? errorCode = null)
    {
        // Model names come from requests: remembered up to a bound, rendered afresh beyond it.
        var labels = _modelLabels.TryGetValue(model, out var known) ? known : PrometheusText.Labels(("model_name", model), ("target_model_name", model));
        if (known is null && _modelLabels.Count < MaxRememberedModels)
        {
            _modelLabels.TryAdd(model, labels);
        }

        _otelRequests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _sizes.Observe(labels, bodyBytes);
        if (errorCode is { } code)
        {
            _errors.Increment(PrometheusText.Labels(("model_name", model), ("target_model_name", model), ("error_code", code.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }
        else
        {
            _requests.Increment(labels);
        }
    }

    internal long ErrorCount(string model, int code) =>
        _errors.Get(PrometheusText.Labels(("model_name", model), ("target_model_name", model), ("error_code", code.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>Everything in Prometheus text format; pool gauges are computed now from the live pool.</summary>
    public string Render(IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        var output = new StringBuilder(8192);
        _e2e.WriteTo(output);
        _plugins.WriteTo(output);
        _attempts.WriteTo(output);
        _requests.WriteTo(output);
        _errors.WriteTo(output);
        _sizes.WriteTo(output);
        _prefixHits.WriteTo(output);
        _picks.WriteTo(output);

        var poolLabel = PrometheusText.Labels(("name", _poolName));
        var endpoints = _pool.Snapshot();
        var withMetrics = endpoints.Where(e => e.MetricsUpdatedAt is not null).ToArray();
        PrometheusText.Gauge(output, "inference_pool_ready_pods", "Endpoints in the pool.", poolLabel, endpoints.Length);
        PrometheusText.Gauge(output, "inference_pool_average_queue_size", "Mean waiting requests over endpoints with metrics.", poolLabel,
            withMetrics.Length == 0 ? 0 : withMetrics.Average(e => e.WaitingRequests));
        PrometheusText.Gauge(output, "inference_pool_average_running_requests", "Mean running requests over endpoints with metrics.", poolLabel,
            withMetrics.Length == 0 ? 0 : withMetrics.Average(e => e.RunningRequests));
        PrometheusText.Gauge(output, "inference_pool_average_kv_cache_utilization", "Mean KV-cache use (0..1) over endpoints with metrics.", poolLabel,
            withMetrics.Length == 0 ? 0 : withMetrics.Average(e => e.KvCacheUsage));
        var threshold = StalenessThreshold(scheduler);
        var now = _time.GetUtcNow();
        PrometheusText.Gauge(output, "inference_extension_flow_control_stale_endpoints",
            $"Endpoints whose metrics are older than the staleness threshold ({threshold.TotalMilliseconds} ms) or missing.", poolLabel,
            endpoints.Count(e => e.MetricsUpdatedAt is not { } at || now - at > threshold));
        PrometheusText.Gauge(output, "patternone_scheduler_unhealthy_endpoints", "Endpoints whose scrapes keep failing; they are left out of the candidates.", poolLabel,
            _pool.Endpoints.Count(e => e.Health == ScrapeHealth.Failing));
        PrometheusText.Header(output, "inference_pool_per_pod_queue_size", "Waiting requests per endpoint.", "gauge");
        foreach (var endpoint in withMetrics)
        {
            PrometheusText.Sample(output, "inference_pool_per_pod_queue_size", PrometheusText.Labels(("model_server_pod", endpoint.Address), ("name", _poolName)), endpoint.WaitingRequests);
        }

        PrometheusText.Header(output, "inference_objective_running_requests", "Requests routed by this scheduler and not yet complete, per endpoint.", "gauge");
        foreach (var endpoint in endpoints)
        {
            PrometheusText.Sample(output, "inference_objective_running_requests", PrometheusText.Labels(("model_server_pod", endpoint.Address), ("name", _poolName)), endpoint.InFlightRequests);
        }

        if (SwitchableScheduler.Unwrap(scheduler) is ProfileScheduler concrete && concrete.Scorers.Select(s => s.Scorer).OfType<PrefixCacheScorer>().FirstOrDefault() is { } prefix)
        {
            PrometheusText.Gauge(output, "inference_extension_prefix_indexer_size", "Block entries in the approximate prefix index.", "", prefix.Index.Size);
        }

        PrometheusText.Gauge(output, "inference_extension_info", "Build and profile of this scheduler.", PrometheusText.Labels(("commit", "dev"), ("build_ref", "patternone"), ("profile", scheduler.ProfileName)), 1);

        // llm-d-router emits its canonical llm_d_epp_* names beside the legacy ones; so do we, same values.
        var legacy = output.ToString();
        var current = CurrentNames.Aggregate(legacy, (text, names) => text.Replace(names.Legacy, names.Current, StringComparison.Ordinal));
        return legacy + current;
    }

    /// <summary>GIE v1.x name → llm-d-router canonical name (llm-d-inference-scheduler, <c>pkg/epp/metrics/metrics.go</c>).</summary>
    private static readonly (string Legacy, string Current)[] CurrentNames =
    [
        ("inference_objective_request_total", "llm_d_epp_request_total"),
        ("inference_objective_request_error_total", "llm_d_epp_request_error_total"),
        ("inference_objective_request_sizes", "llm_d_epp_request_size_bytes"),
        ("inference_objective_running_requests", "llm_d_epp_request_running"),
        ("inference_pool_average_kv_cache_utilization", "llm_d_epp_average_kv_cache_utilization"),
        ("inference_pool_average_queue_size", "llm_d_epp_average_queue_size"),
        ("inference_pool_average_running_requests", "llm_d_epp_average_running_requests"),
        ("inference_pool_ready_pods", "llm_d_epp_ready_endpoints"),
        ("inference_pool_per_pod_queue_size", "llm_d_epp_per_endpoint_queue_size"),
        ("inference_extension_scheduler_e2e_duration_seconds", "llm_d_epp_scheduler_e2e_duration_seconds"),
        ("inference_extension_scheduler_attempts_total", "llm_d_epp_scheduler_attempts_total"),
        ("inference_extension_plugin_duration_seconds", "llm_d_epp_plugin_duration_seconds"),
        ("inference_extension_prefix_indexer_size", "llm_d_epp_prefix_indexer_size"),
        ("inference_extension_prefix_indexer_hit_ratio", "llm_d_epp_prefix_indexer_hit_ratio"),
        ("inference_extension_info", "llm_d_epp_info"),
        ("inference_extension_flow_control_stale_endpoints", "llm_d_epp_flow_control_stale_endpoints"),
    ];

    /// <summary>The profile's staleness threshold (its admission detector's, else its utilization filter's, else the default).</summary>
    internal static TimeSpan StalenessThreshold(IScheduler scheduler) =>
        SwitchableScheduler.Unwrap(scheduler) is ProfileScheduler concrete
            ? (concrete.Admission ?? concrete.Filters.OfType<SaturationFilter>().FirstOrDefault()?.Thresholds ?? new SaturationThresholds()).MetricsStalenessThreshold
            : new SaturationThresholds().MetricsStalenessThreshold;

    public void Dispose() => _meter.Dispose();
}
