using System.Globalization;
using PatternOne.ServiceDefaults.Prometheus;

namespace PatternOne.AppHost.Operations;

/// <summary>One scrape of a vLLM replica's <c>/metrics</c>: the gauges now and the counters since it started.</summary>
internal sealed record ReplicaReading(
    DateTimeOffset At, double Running, double Waiting, double KvCacheUsage,
    double PrefixQueries, double PrefixHits, double GenerationTokens, double Successes)
{
    /// <summary>vLLM's metric names (vLLM V1, <c>docs/</c> of vLLM: "Production Metrics").</summary>
    public static ReplicaReading From(PrometheusSamples samples, DateTimeOffset at) => new(
        at,
        samples.Sum(VllmMetricNames.NumRequestsRunning),
        samples.Sum(VllmMetricNames.NumRequestsWaiting),
        samples.Max(VllmMetricNames.KvCacheUsagePerc) ?? 0,
        samples.Sum(VllmMetricNames.PrefixCacheQueries),
        samples.Sum(VllmMetricNames.PrefixCacheHits),
        samples.Sum(VllmMetricNames.GenerationTokens),
        samples.Sum(VllmMetricNames.RequestSuccess));
}

/// <summary>What the dashboard shows for one replica or the whole pool over the last interval.</summary>
internal sealed record LiveFigures(
    double Running, double Waiting, double KvCacheUsage, double? IntervalHitRate, double? TotalHitRate, double GenerationTokensPerSecond)
{
    /// <summary>Figures of one replica from two consecutive readings (the first reading alone gives no rates).</summary>
    public static LiveFigures Of(ReplicaReading now, ReplicaReading? before) => Aggregate([(now, before)]);

    /// <summary>Pool figures: queues and token rates summed, KV use averaged, hit rate over every replica's tokens.</summary>
    public static LiveFigures Aggregate(IReadOnlyList<(ReplicaReading Now, ReplicaReading? Before)> readings)
    {
        double queries = 0, hits = 0, tokensPerSecond = 0;
        foreach (var (now, before) in readings.Where(r => r.Before is not null))
        {
            queries += now.PrefixQueries - before!.PrefixQueries;
            hits += now.PrefixHits - before.PrefixHits;
            var seconds = (now.At - before.At).TotalSeconds;
            if (seconds > 0)
            {
                tokensPerSecond += Math.Max(0, now.GenerationTokens - before.GenerationTokens) / seconds;
            }
        }

        var totalQueries = readings.Sum(r => r.Now.PrefixQueries);
        return new LiveFigures(
            readings.Sum(r => r.Now.Running),
            readings.Sum(r => r.Now.Waiting),
            readings.Count == 0 ? 0 : readings.Average(r => r.Now.KvCacheUsage),
            queries > 0 ? hits / queries : null,
            totalQueries > 0 ? readings.Sum(r => r.Now.PrefixHits) / totalQueries : null,
            tokensPerSecond);
    }

    /// <summary>The dashboard properties (<see cref="LiveStateProperties"/>).</summary>
    public IEnumerable<ResourcePropertySnapshot> ToProperties(TimeSpan interval)
    {
        var culture = CultureInfo.InvariantCulture;
        var hitRate = IntervalHitRate is { } recent
            ? string.Format(culture, "{0:0.0} % (last {1:0} s)", recent * 100, interval.TotalSeconds)
            : TotalHitRate is { } total
                ? string.Format(culture, "{0:0.0} % (since start)", total * 100)
                : "— (no prompts yet)";
        return
        [
            new(LiveStateProperties.RunningRequests, Running.ToString("0", culture)) { DisplayName = "Running requests", IsHighlighted = true },
            new(LiveStateProperties.WaitingRequests, Waiting.ToString("0", culture)) { DisplayName = "Waiting requests", IsHighlighted = true },
            new(LiveStateProperties.KvCacheUsage, string.Format(culture, "{0:0.0} %", KvCacheUsage * 100)) { DisplayName = "KV-cache use", IsHighlighted = true },
            new(LiveStateProperties.PrefixCacheHitRate, hitRate) { DisplayName = "Prefix-cache hit rate", IsHighlighted = true },
            new(LiveStateProperties.GenerationTokensPerSecond, GenerationTokensPerSecond.ToString("0.0", culture) + " tokens/s") { DisplayName = "Generated tokens/s", IsHighlighted = true },
        ];
    }
}
