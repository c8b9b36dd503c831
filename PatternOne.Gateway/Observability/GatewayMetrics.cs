using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PatternOne.Gateway.Observability;

/// <summary>
/// The gateway's own instruments, exported over OTLP to the dashboard and as Prometheus text on
/// <c>:15090/stats/prometheus</c> (<c>gateway_requests_total</c>, <c>gateway_request_duration_seconds</c>,
/// <c>gateway_picker_duration_seconds</c>, <c>gateway_picker_prestarted_calls_total</c>, <c>gateway_upstream_failures_total</c>).
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "PatternOne.Gateway";

    /// <summary>Label value for a request the gateway answered itself (404, 413, picker immediate response…).</summary>
    public const string NoUpstream = "none";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _pickerDuration;
    private readonly Counter<long> _upstreamFailures;
    private readonly Counter<long> _prestartedCalls;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("gateway.requests", description: "Requests by route, pool, status and upstream.");
        _duration = _meter.CreateHistogram<double>("gateway.request.duration", unit: "s",
            description: "Time from the request's arrival to the end of its response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        _pickerDuration = _meter.CreateHistogram<double>("gateway.picker.duration", unit: "s",
            description: "Time to the endpoint picker's decision, by outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5] });
        _prestartedCalls = _meter.CreateCounter<long>("gateway.picker.prestarted_calls",
            description: "With PrestartPickerCalls: picks that found a call opened ahead (used), found none ready (none_ready), or fell back after it failed (failed).");
        _upstreamFailures = _meter.CreateCounter<long>("gateway.upstream.failures",
            description: "Attempts to reach a replica that failed before it answered, by upstream and error.");
    }

    public void RecordRequest(string route, string pool, int status, string upstream, TimeSpan elapsed)
    {
        var tags = new TagList { { "route", route }, { "pool", pool }, { "status", status }, { "upstream", upstream } };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void RecordPick(string pool, string outcome, TimeSpan elapsed) =>
        _pickerDuration.Record(elapsed.TotalSeconds, new TagList { { "pool", pool }, { "outcome", outcome } });

    public void RecordPrestartedCall(string pool, string outcome) =>
        _prestartedCalls.Add(1, new TagList { { "pool", pool }, { "outcome", outcome } });

    public void RecordUpstreamFailure(string pool, string upstream, string error) =>
        _upstreamFailures.Add(1, new TagList { { "pool", pool }, { "upstream", upstream }, { "error", error } });

    public void Dispose() => _meter.Dispose();
}
