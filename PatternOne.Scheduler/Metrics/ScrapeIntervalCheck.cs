using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Observability;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Metrics;

/// <summary>
/// Warns at start when the scrape interval is not well inside the profile's staleness threshold: fewer than
/// <see cref="ScrapesPerThreshold"/> scrapes fit in it, so one late scrape (a busy host, a slow replica) already
/// makes an endpoint's data stale. Upstream's defaults (50 ms scrapes, 200 ms threshold) just pass.
/// </summary>
internal sealed partial class ScrapeIntervalCheck(
    IOptions<MetricsScrapeOptions> scrape,
    IScheduler scheduler,
    ILogger<ScrapeIntervalCheck> logger) : IHostedService
{
    public const int ScrapesPerThreshold = 4;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var interval = scrape.Value.Interval;
        var threshold = SchedulerMetrics.StalenessThreshold(scheduler);
        if (IsTooSlow(interval, threshold))
        {
            LogIntervalTooSlow(logger, interval.TotalMilliseconds, threshold.TotalMilliseconds, ScrapesPerThreshold);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static bool IsTooSlow(TimeSpan interval, TimeSpan threshold) => interval * ScrapesPerThreshold > threshold;

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Scheduler:Metrics:Interval ({Interval} ms) is not well inside the profile's metricsStalenessThreshold ({Threshold} ms): fewer than {Scrapes} scrapes fit in it, so endpoints will often look stale (see the stale-endpoints gauge)")]
    private static partial void LogIntervalTooSlow(ILogger logger, double interval, double threshold, int scrapes);
}
