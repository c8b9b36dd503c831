using System.Globalization;
using PatternOne.AppHost.Publishing.Plan;
using PatternOne.Scheduler.Hosting;
using Flags = PatternOne.Scheduler.Hosting.EndpointPickerCommandLine;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// The scheduler's command line as an Inference Extension endpoint picker (EPP): upstream's flag names and forms,
/// so that the same container arguments start upstream's EPP or ours.
/// </summary>
public static class EndpointPickerArgs
{
    // The scheduler's own flag names: a flag renamed there is a compile error here.
    public const string PoolName = "--" + Flags.PoolName;
    public const string PoolNamespace = "--" + Flags.PoolNamespace;
    public const string PoolGroup = "--" + Flags.PoolGroup;
    public const string GrpcPort = "--" + Flags.GrpcPort;
    public const string GrpcHealthPort = "--" + Flags.GrpcHealthPort;
    public const string MetricsPort = "--" + Flags.MetricsPort;
    public const string SecureServing = "--" + Flags.SecureServing;
    public const string CertPath = "--" + Flags.CertPath;
    public const string ModelServerMetricsScheme = "--" + Flags.ModelServerMetricsScheme;
    public const string ConfigFile = "--" + Flags.ConfigFile;

    /// <summary>Upstream's log encoder flag, in KServe's preset; the scheduler accepts and ignores it (.NET logging).</summary>
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

    /// <summary>
    /// The standalone topology's scheduler: upstream's standalone mode (pods by label selector, no InferencePool),
    /// ext_proc in plaintext h2c because our gateway calls it so inside the cluster; the other defaults upstream's.
    /// </summary>
    public static IReadOnlyList<string> Standalone(ClusterPlan plan, string configFile) => new EndpointPickerFlags
    {
        PoolNamespace = plan.Pool.Namespace,
        EndpointSelector = ClusterLabels.WorkloadSelector(plan.Pool.Name),
        EndpointTargetPorts = [plan.Pool.Port],
        GrpcPort = plan.Scheduler.ExtProcPort,
        GrpcHealthPort = plan.Scheduler.HealthPort,
        MetricsPort = plan.Scheduler.MetricsPort,
        ConfigFile = configFile,
        SecureServing = false,
        ModelServerMetricsScheme = "http",
    }.ToArgs();

    public static string PoolGroupOf(InferencePoolApi api) =>
        api == InferencePoolApi.V1Alpha2 ? InferencePoolV1Alpha2.KubeGroup : InferencePoolV1.KubeGroup;

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
