namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The scheduler's default profile as an <c>EndpointPickerConfig</c> (reference epp.md §2.5): saturation filter,
/// queue-depth 2, kv-cache-utilization 2, prefix-cache 3 (64-character blocks, at most 256), max-score picker.
/// It is the scheduler's built-in <c>default</c> profile (PatternOne.Scheduler <c>BuiltInProfiles.Default</c>) verbatim
/// — a test holds the two equal — published as a ConfigMap so that operators tune weights with
/// <c>kubectl edit</c> and a rollout, not a rebuild.
/// </summary>
public static class SchedulerProfile
{
    public const string DefaultYaml =
        """
        apiVersion: inference.networking.x-k8s.io/v1alpha1
        kind: EndpointPickerConfig
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

        """;
}
