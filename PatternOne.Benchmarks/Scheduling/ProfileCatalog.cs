using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Benchmarks.Scheduling;

/// <summary>
/// The policies the benchmarks compare: the scheduler's built-in profiles, plus one variant written as
/// EndpointPickerConfig YAML and built by the same factory (so still the real plugins):
/// <c>default-no-shedding</c> is the default's scorers and weights (queue 2, KV 2, prefix 3) without the saturation
/// filter and 429 admission — the profile of upstream's v1.2 chart, which never rejects a request of default priority.
/// </summary>
public static class ProfileCatalog
{
    public const string DefaultNoShedding = "default-no-shedding";

    private const string DefaultNoSheddingYaml = """
        apiVersion: inference.networking.x-k8s.io/v1alpha1
        kind: EndpointPickerConfig
        plugins:
        - type: queue-scorer
        - type: kv-cache-utilization-scorer
        - type: prefix-cache-scorer
          parameters: {blockSize: 64, maxPrefixBlocksToMatch: 256, lruCapacityPerServer: 31250}
        - type: max-score-picker
          parameters: {maxNumOfEndpoints: 3}
        saturationDetector: {rejectWhenSaturated: false}
        schedulingProfiles:
        - name: default-no-shedding
          plugins:
          - {pluginRef: queue-scorer, weight: 2}
          - {pluginRef: kv-cache-utilization-scorer, weight: 2}
          - {pluginRef: prefix-cache-scorer, weight: 3}
          - pluginRef: max-score-picker
        """;

    public static string Yaml(string name) => name == DefaultNoShedding ? DefaultNoSheddingYaml : BuiltInProfiles.GetYaml(name);

    public static IScheduler Create(string name, SchedulerEnvironment options) => SchedulerFactory.FromYaml(Yaml(name), options);
}
