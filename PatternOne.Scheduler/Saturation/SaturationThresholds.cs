using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Saturation;

/// <summary>What stale metrics (never scraped, or older than the staleness threshold) mean for saturation.</summary>
public enum StalenessPolicy
{
    /// <summary>
    /// Judge the endpoint by the last metrics it had (none yet counts as idle). The default, as llm-d-router allows:
    /// on a busy host every scrape loop ages at once, and counting them all saturated refuses or herds traffic for
    /// no reason. Endpoints whose scrapes actually fail leave the candidates through the pool's health instead.
    /// </summary>
    Ignore,

    /// <summary>Stale counts as 100% saturated (GIE v1.0's detector): filtered out, and sheddable requests refused.</summary>
    Saturated,
}

/// <summary>
/// When an endpoint counts as saturated (GIE v1.0's saturation detector, same defaults): its queue (scraped waiting
/// plus requests routed since that scrape, <see cref="EndpointSnapshot.QueueEstimate"/>) or KV-cache use is above threshold, or — with <see cref="StalenessPolicy.Saturated"/> — its metrics are stale.
/// The pool is saturated when every endpoint is.
/// </summary>
public sealed record SaturationThresholds
{
    /// <summary>Parameter names in a <c>utilization-detector</c> plugin (upstream's, plus <c>stalenessPolicy</c>).</summary>
    public const string QueueDepthThresholdParameter = "queueDepthThreshold";

    public const string KvCacheUtilThresholdParameter = "kvCacheUtilThreshold";

    public const string MetricsStalenessThresholdParameter = "metricsStalenessThreshold";

    public const string StalenessPolicyParameter = "stalenessPolicy";

    /// <summary>Waiting requests above which an endpoint is saturated. Default 5 (<c>SD_QUEUE_DEPTH_THRESHOLD</c>).</summary>
    public int QueueDepthThreshold { get; init; } = 5;

    /// <summary>KV-cache use (0..1) above which an endpoint is saturated. Default 0.8 (<c>SD_KV_CACHE_UTIL_THRESHOLD</c>).</summary>
    public double KvCacheUtilThreshold { get; init; } = 0.8;

    /// <summary>Metrics older than this are stale. Default 200 ms (<c>SD_METRICS_STALENESS_THRESHOLD</c>).</summary>
    public TimeSpan MetricsStalenessThreshold { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>What stale metrics mean. Default <see cref="StalenessPolicy.Ignore"/>.</summary>
    public StalenessPolicy StalenessPolicy { get; init; } = StalenessPolicy.Ignore;

    /// <summary>Reads the thresholds from a <c>utilization-detector</c> plugin's parameters (upstream names).</summary>
    public static SaturationThresholds FromParameters(PluginParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var defaults = new SaturationThresholds();
        return new SaturationThresholds
        {
            QueueDepthThreshold = parameters.GetInt(QueueDepthThresholdParameter, defaults.QueueDepthThreshold, min: 0),
            KvCacheUtilThreshold = parameters.GetDouble(KvCacheUtilThresholdParameter, defaults.KvCacheUtilThreshold, min: 0, max: 1),
            MetricsStalenessThreshold = parameters.GetDuration(MetricsStalenessThresholdParameter, defaults.MetricsStalenessThreshold),
            StalenessPolicy = parameters.GetEnum(StalenessPolicyParameter, defaults.StalenessPolicy),
        };
    }

    /// <summary>True when this endpoint cannot be counted as capacity right now.</summary>
    public bool IsSaturated(EndpointSnapshot endpoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return (StalenessPolicy == StalenessPolicy.Saturated && IsStale(endpoint, now))
            || endpoint.QueueEstimate > QueueDepthThreshold
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
