namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The scheduler's default profile as an <c>EndpointPickerConfig</c> (GIE v1 style, reference epp.md §2.5):
/// queue-depth 2, kv-cache-utilization 2, prefix-cache 3 (64-character blocks, at most 256), max-score picker.
/// Published as a ConfigMap so that operators tune weights with <c>kubectl edit</c> and a rollout, not a rebuild.
/// </summary>
internal static class SchedulerProfile
{
    public const string DefaultYaml =
        """
        apiVersion: inference.networking.x-k8s.io/v1alpha1
        kind: EndpointPickerConfig
        plugins:
        - type: queue-scorer
        - type: kv-cache-utilization-scorer
        - type: prefix-cache-scorer
          parameters:
            hashBlockSize: 64
            maxPrefixBlocksToMatch: 256
        - type: max-score-picker
        schedulingProfiles:
        - name: default
          plugins:
          - pluginRef: queue-scorer
            weight: 2
          - pluginRef: kv-cache-utilization-scorer
            weight: 2
          - pluginRef: prefix-cache-scorer
            weight: 3
          - pluginRef: max-score-picker

        """;
}
