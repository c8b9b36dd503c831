using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Saturation;

/// <summary>
/// When an endpoint counts as saturated (GIE v1.0's saturation detector, same defaults): its metrics are stale,
/// or its waiting queue or KV-cache use is above threshold. The pool is saturated when every endpoint is.
/// </summary>
public sealed record SaturationThresholds
{
    /// <summary>Waiting requests above which an endpoint is saturated. Default 5 (<c>SD_QUEUE_DEPTH_THRESHOLD</c>).</summary>
    public int QueueDepthThreshold { get; init; } = 5;

    /// <summary>KV-cache use (0..1) above which an endpoint is saturated. Default 0.8 (<c>SD_KV_CACHE_UTIL_THRESHOLD</c>).</summary>
    public double KvCacheUtilThreshold { get; init; } = 0.8;

    /// <summary>Metrics older than this count as saturated. Default 200 ms (<c>SD_METRICS_STALENESS_THRESHOLD</c>).</summary>
    public TimeSpan MetricsStalenessThreshold { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Reads the thresholds from a <c>utilization-detector</c> plugin's parameters (upstream names).</summary>
    public static SaturationThresholds FromParameters(PluginParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var defaults = new SaturationThresholds();
        return new SaturationThresholds
        {
            QueueDepthThreshold = parameters.GetInt("queueDepthThreshold", defaults.QueueDepthThreshold, min: 0),
            KvCacheUtilThreshold = parameters.GetDouble("kvCacheUtilThreshold", defaults.KvCacheUtilThreshold, min: 0, max: 1),
            MetricsStalenessThreshold = parameters.GetDuration("metricsStalenessThreshold", defaults.MetricsStalenessThreshold),
        };
    }

    /// <summary>True when this endpoint cannot be counted as capacity right now.</summary>
    public bool IsSaturated(EndpointSnapshot endpoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return IsStale(endpoint, now)
            || endpoint.WaitingRequests > QueueDepthThreshold
            || endpoint.KvCacheUsage > KvCacheUtilThreshold;
    }

    /// <summary>Never scraped, or scraped longer ago than the staleness threshold.</summary>
    public bool IsStale(EndpointSnapshot endpoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.MetricsUpdatedAt is not { } at || now - at > MetricsStalenessThreshold;
    }

    /// <summary>True when no endpoint has spare capacity (or there are none).</summary>
    public bool IsPoolSaturated(IReadOnlyList<EndpointSnapshot> endpoints, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (!IsSaturated(endpoints[i], now))
            {
                return false;
            }
        }

        return true;
    }
}
