namespace PatternOne.Scheduler.Scheduling;

/// <summary>Plugin type names as written in EndpointPickerConfig; upstream's names where upstream has the plugin.</summary>
public static class PluginTypes
{
    public const string QueueScorer = "queue-scorer";
    public const string KvCacheUtilizationScorer = "kv-cache-utilization-scorer";
    public const string PrefixCacheScorer = "prefix-cache-scorer";
    public const string LoadAwareScorer = "load-aware-scorer";
    public const string ActiveRequestScorer = "active-request-scorer";
    public const string PrefillLoadScorer = "prefill-load-scorer";

    public const string MaxScorePicker = "max-score-picker";
    public const string RandomPicker = "random-picker";
    public const string WeightedRandomPicker = "weighted-random-picker";
    public const string RoundRobinPicker = "round-robin-picker";

    /// <summary>Upstream's saturation detector; in a profile it acts as a filter dropping saturated endpoints.</summary>
    public const string UtilizationDetector = "utilization-detector";

    /// <summary>Upstream plugins whose job this service does built in; accepted in a config and ignored.</summary>
    public static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal)
    {
        "single-profile-handler", "metrics-data-source", "core-metrics-extractor", "openai-parser",
        "anthropic-parser", "vllmhttp-parser", "passthrough-parser", "token-producer", "approx-prefix-cache-producer",
        "inflight-load-producer", "endpoint-notification-source",
    };
}
