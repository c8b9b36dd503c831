using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// The <c>InferencePool</c> of the Istio topology: the vLLM pods (KServe's workload selector) on the model server
/// port, and our scheduler's Service as the endpoint picker with the app model's failure mode. v1 by default, or the
/// v1alpha2 form Istio 1.26 reads (the same fields under their older names, reference: GIE <c>api/v1alpha2</c>).
/// </summary>
internal sealed class InferencePoolComponent : IManifestComponent
{
    public const string FolderName = "inference-pool";

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan) =>
        new(Folder, [new ManifestFile("inferencepool.yaml", plan.PoolApi == InferencePoolApi.V1Alpha2 ? V1Alpha2(plan) : V1(plan))]);

    private static V1ObjectMeta Meta(ClusterPlan plan) => new()
    {
        Name = ClusterNames.InferencePool(plan.Pool.Name),
        NamespaceProperty = plan.Pool.Namespace,
        Labels = ClusterLabels.Scheduler(plan.Pool.Name),
    };

    private static InferencePoolV1 V1(ClusterPlan plan) => new()
    {
        Metadata = Meta(plan),
        Spec = new InferencePoolV1Spec
        {
            Selector = new InferencePoolLabelSelector { MatchLabels = ClusterLabels.WorkloadSelector(plan.Pool.Name) },
            TargetPorts = [new InferencePoolPort { Number = plan.Pool.Port }],
            EndpointPickerRef = new EndpointPickerReference
            {
                Kind = V1Service.KubeKind,
                Name = ClusterNames.SchedulerService(plan.Pool.Name),
                Port = new InferencePoolPort { Number = plan.Scheduler.ExtProcPort },
                FailureMode = plan.Gateway.FailureMode,
            },
        },
    };

    private static InferencePoolV1Alpha2 V1Alpha2(ClusterPlan plan) => new()
    {
        Metadata = Meta(plan),
        Spec = new InferencePoolV1Alpha2Spec
        {
            Selector = ClusterLabels.WorkloadSelector(plan.Pool.Name),
            TargetPortNumber = plan.Pool.Port,
            ExtensionRef = new ExtensionReference
            {
                Kind = V1Service.KubeKind,
                Name = ClusterNames.SchedulerService(plan.Pool.Name),
                PortNumber = plan.Scheduler.ExtProcPort,
                FailureMode = plan.Gateway.FailureMode,
            },
        },
    };
}
