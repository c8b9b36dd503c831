namespace PatternOne.Scheduler.Profiles;

/// <summary>
/// Named configurations that need no file: the production default and the baselines the benchmarks compare it with.
/// Each is ordinary EndpointPickerConfig YAML, so any of them can be copied into a file and tuned.
/// </summary>
public static class BuiltInProfiles
{
    /// <summary>Upstream's default: queue 2, KV cache 2, prefix 3, max-score; saturated endpoints filtered out.</summary>
    public const string Default = "default";

    /// <summary>Queue 2 and KV cache 2 without prefix affinity ("load only" in llm-d's published comparisons).</summary>
    public const string LoadOnly = "load-only";

    /// <summary>The waiting queue alone, max-score (the first version of this scheduler).</summary>
    public const string LeastQueue = "least-queue";

    /// <summary>Prefix affinity alone — the configuration llm-d shows hot-spotting without load scorers.</summary>
    public const string PrefixOnly = "prefix-only";

    /// <summary>Uniform random.</summary>
    public const string Random = "random";

    /// <summary>Round-robin, what a plain Kubernetes Service gives.</summary>
    public const string RoundRobin = "round-robin";

    public static IReadOnlyList<string> Names { get; } = [Default, LoadOnly, LeastQueue, PrefixOnly, Random, RoundRobin];

    /// <summary>The YAML of a built-in profile; throws with the list of names when unknown.</summary>
    public static string GetYaml(string name) => name switch
    {
        Default => Header + """
            plugins:
            - type: utilization-detector
              parameters: {queueDepthThreshold: 5, kvCacheUtilThreshold: 0.8, metricsStalenessThreshold: 200ms}
            - type: queue-scorer
            - type: kv-cache-utilization-scorer
            - type: prefix-cache-scorer
              parameters: {blockSize: 64, maxPrefixBlocksToMatch: 256, lruCapacityPerServer: 31250}
            - type: max-score-picker
              parameters: {maxNumOfEndpoints: 3}
            saturationDetector: {pluginRef: utilization-detector}
            schedulingProfiles:
            - name: default
              plugins:
              - pluginRef: utilization-detector
              - {pluginRef: queue-scorer, weight: 2}
              - {pluginRef: kv-cache-utilization-scorer, weight: 2}
              - {pluginRef: prefix-cache-scorer, weight: 3}
              - pluginRef: max-score-picker
            """,
        LoadOnly => Header + """
            plugins:
            - type: utilization-detector
            - type: queue-scorer
            - type: kv-cache-utilization-scorer
            - type: max-score-picker
              parameters: {maxNumOfEndpoints: 3}
            saturationDetector: {pluginRef: utilization-detector}
            schedulingProfiles:
            - name: load-only
              plugins:
              - pluginRef: utilization-detector
              - {pluginRef: queue-scorer, weight: 2}
              - {pluginRef: kv-cache-utilization-scorer, weight: 2}
              - pluginRef: max-score-picker
            """,
        LeastQueue => Header + """
            plugins:
            - type: queue-scorer
            - type: max-score-picker
              parameters: {maxNumOfEndpoints: 3}
            saturationDetector: {rejectWhenSaturated: false}
            schedulingProfiles:
            - name: least-queue
              plugins:
              - pluginRef: queue-scorer
              - pluginRef: max-score-picker
            """,
        PrefixOnly => Header + """
            plugins:
            - type: prefix-cache-scorer
            - type: max-score-picker
              parameters: {maxNumOfEndpoints: 3}
            saturationDetector: {rejectWhenSaturated: false}
            schedulingProfiles:
            - name: prefix-only
              plugins:
              - pluginRef: prefix-cache-scorer
              - pluginRef: max-score-picker
            """,
        Random => Header + """
            plugins:
            - type: random-picker
              parameters: {maxNumOfEndpoints: 3}
            saturationDetector: {rejectWhenSaturated: false}
            schedulingProfiles:
            - name: random
              plugins:
              - pluginRef: random-picker
            """,
        RoundRobin => Header + """
            plugins:
            - type: round-robin-picker
              parameters: {maxNumOfEndpoints: 3}
            saturationDetector: {rejectWhenSaturated: false}
            schedulingProfiles:
            - name: round-robin
              plugins:
              - pluginRef: round-robin-picker
            """,
        _ => throw new ArgumentException(
            $"Unknown scheduling profile '{name}'. Built-in profiles: {string.Join(", ", Names)}.", nameof(name)),
    };

    private const string Header = """
        apiVersion: inference.networking.x-k8s.io/v1alpha1
        kind: EndpointPickerConfig

        """;
}
