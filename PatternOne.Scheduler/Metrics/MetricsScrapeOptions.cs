namespace PatternOne.Scheduler.Metrics;

/// <summary>How endpoints' <c>/metrics</c> are polled, bound from section <c>Scheduler:Metrics</c>.</summary>
public sealed class MetricsScrapeOptions
{
    public const string SectionName = "Scheduler:Metrics";

    /// <summary>Time between scrapes of one endpoint. Default 50 ms (upstream <c>--refresh-metrics-interval</c>).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Give up on one scrape after this long; the data then ages toward stale. Default 1 s (upstream's poll step timeout).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed scrapes after which an endpoint leaves the candidates (it returns with the next success). Default 3.</summary>
    public int UnhealthyAfterFailures { get; set; } = 3;

    /// <summary>Path of the model server's metrics. Default <c>/metrics</c>.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>URL scheme used to reach endpoints. Default <c>http</c>.</summary>
    public string Scheme { get; set; } = "http";
}
