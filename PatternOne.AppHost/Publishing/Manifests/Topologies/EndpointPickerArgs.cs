using System.Globalization;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// The scheduler's command line as an Inference Extension endpoint picker (EPP): upstream's flag names and forms,
/// so that the same container arguments start upstream's EPP or ours.
/// </summary>
public static class EndpointPickerArgs
{
    public const string PoolName = "--pool-name";
    public const string PoolNamespace = "--pool-namespace";
    public const string PoolGroup = "--pool-group";
    public const string GrpcPort = "--grpc-port";
    public const string GrpcHealthPort = "--grpc-health-port";
    public const string MetricsPort = "--metrics-port";
    public const string SecureServing = "--secure-serving";
    public const string CertPath = "--cert-path";
    public const string ModelServerMetricsScheme = "--model-server-metrics-scheme";
    public const string ConfigFile = "--config-file";
    public const string ZapEncoder = "--zap-encoder";

    /// <summary>Where KServe mounts the self-signed certificate it creates for the workload and the scheduler.</summary>
    public const string KServeCertPath = "/var/run/kserve/tls";

    /// <summary>
    /// Exactly the arguments KServe's scheduler preset gives the EPP container (opendatahub-io/kserve release-v0.15,
    /// <c>config/llmisvc/config-llm-scheduler.yaml</c>), rendered for this pool. The controller always creates the
    /// v1alpha2 pool, hence its group.
    /// </summary>
    public static IReadOnlyList<string> KServePreset(ClusterPlan plan) =>
    [
        PoolName, ClusterNames.InferencePool(plan.Pool.Name),
        PoolNamespace, plan.Pool.Namespace,
        PoolGroup, InferencePoolV1Alpha2.KubeGroup,
        ZapEncoder, "json",
        GrpcPort, Str(plan.Scheduler.ExtProcPort),
        GrpcHealthPort, Str(plan.Scheduler.HealthPort),
        SecureServing,
        ModelServerMetricsScheme, "https",
        CertPath, KServeCertPath,
    ];

    /// <summary>
    /// Our scheduler as the EPP of the Istio topology's pool: TLS with a self-signed certificate (upstream's default;
    /// the DestinationRule skips verification), vLLM's metrics over HTTP.
    /// </summary>
    public static IReadOnlyList<string> Istio(ClusterPlan plan, string configFile) =>
    [
        PoolName, ClusterNames.InferencePool(plan.Pool.Name),
        PoolNamespace, plan.Pool.Namespace,
        PoolGroup, PoolGroupOf(plan.PoolApi),
        GrpcPort, Str(plan.Scheduler.ExtProcPort),
        GrpcHealthPort, Str(plan.Scheduler.HealthPort),
        MetricsPort, Str(plan.Scheduler.MetricsPort),
        SecureServing,
        ModelServerMetricsScheme, "http",
        ConfigFile, configFile,
    ];

    public static string PoolGroupOf(InferencePoolApi api) =>
        api == InferencePoolApi.V1Alpha2 ? InferencePoolV1Alpha2.KubeGroup : InferencePoolV1.KubeGroup;

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
