using System.Globalization;

namespace PatternOne.AppHost.Operations;

/// <summary>One scrape of the scheduler's <c>/metrics</c> (upstream EPP names, plus our per-endpoint pick count).</summary>
internal sealed record SchedulerReading(
    DateTimeOffset At, string? Profile, double Scheduled, IReadOnlyDictionary<string, double> PicksByEndpoint,
    IReadOnlyDictionary<string, double> ErrorsByCode)
{
    public const string InfoMetric = "inference_extension_info";
    public const string AttemptsMetric = "inference_extension_scheduler_attempts_total";
    public const string ErrorsMetric = "inference_objective_request_error_total";
    public const string PicksMetric = "patternone_scheduler_picks_total";

    public static SchedulerReading From(PrometheusSamples samples, DateTimeOffset at) => new(
        at,
        samples.Label(InfoMetric, "profile"),
        samples.SumBy(AttemptsMetric, "status").GetValueOrDefault("success"),
        samples.SumBy(PicksMetric, "model_server_pod"),
        samples.SumBy(ErrorsMetric, "error_code"));

    /// <summary>
    /// The dashboard properties: profile, picks/s and each replica's share of picks over the last interval (since start
    /// when the interval had none), and refusals since start by reason. <paramref name="replicaName"/> maps
    /// <c>ip:port</c> to the replica's resource name.
    /// </summary>
    public IEnumerable<ResourcePropertySnapshot> ToProperties(SchedulerReading? before, Func<string, string> replicaName, TimeSpan interval)
    {
        var culture = CultureInfo.InvariantCulture;
        var seconds = before is null ? 0 : (At - before.At).TotalSeconds;
        var picksPerSecond = seconds > 0 ? Math.Max(0, Scheduled - before!.Scheduled) / seconds : 0;

        var recent = PicksByEndpoint.ToDictionary(p => p.Key, p => p.Value - (before?.PicksByEndpoint.GetValueOrDefault(p.Key) ?? p.Value), StringComparer.Ordinal);
        var (share, window) = recent.Values.Sum() > 0
            ? (recent, string.Format(culture, "last {0:0} s", interval.TotalSeconds))
            : (PicksByEndpoint.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), "since start");
        var total = share.Values.Sum();
        var shareText = total > 0
            ? string.Join(" · ", share.Where(p => p.Value > 0).OrderBy(p => replicaName(p.Key), StringComparer.Ordinal)
                .Select(p => string.Format(culture, "{0} {1:0} %", replicaName(p.Key), 100 * p.Value / total))) + $" ({window})"
            : "— (no picks yet)";

        var rejections = ErrorsByCode.Where(e => e.Value > 0).OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => string.Format(culture, "{0} {1}: {2:0}", e.Key, Reason(e.Key), e.Value)).ToList();

        return
        [
            new(LiveStateProperties.Profile, Profile ?? "—") { DisplayName = "Scheduling profile", IsHighlighted = true },
            new(LiveStateProperties.PicksPerSecond, picksPerSecond.ToString("0.0", culture) + " /s") { DisplayName = "Picks/s", IsHighlighted = true },
            new(LiveStateProperties.PickShare, shareText) { DisplayName = "Share of picks", IsHighlighted = true },
            new(LiveStateProperties.Rejections, rejections.Count == 0 ? "none" : string.Join(" · ", rejections) + " (since start)") { DisplayName = "Refused requests", IsHighlighted = true },
        ];
    }

    /// <summary>What each status the scheduler answers with means (its README's refusal table).</summary>
    private static string Reason(string errorCode) => errorCode switch
    {
        "400" => "bad request",
        "413" => "body too large",
        "429" => "pool saturated",
        "503" => "no ready endpoint",
        _ => "other",
    };
}
