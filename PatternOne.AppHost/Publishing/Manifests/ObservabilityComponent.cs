using k8s.Models;
using PatternOne.AppHost.Publishing.Observability;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// What tells the cluster's monitoring what to scrape: GKE Managed Prometheus <c>PodMonitoring</c> objects for vLLM
/// (<c>:8000/metrics</c>), the scheduler (<c>:9090/metrics</c>) and the gateway (<c>:15090/stats/prometheus</c>), and
/// a Grafana dashboard in a ConfigMap that Grafana's dashboard sidecar loads (label <c>grafana_dashboard: "1"</c>).
/// The NetworkPolicies that admit the collectors' scrapes are in <see cref="NetworkPoliciesComponent"/>.
/// </summary>
public sealed class ObservabilityComponent : IManifestComponent
{
    public const string FolderName = "observability";

    /// <summary>Label Grafana's sidecar (kiwigrid k8s-sidecar, the Grafana Helm chart's default) loads dashboards by.</summary>
    public const string GrafanaDashboardLabel = "grafana_dashboard";

    public const string DashboardConfigMap = "patternone-grafana-dashboard";
    public const string DashboardFile = "patternone-inference.json";
    public const string ScrapeInterval = "15s";

    public const string VllmMetricsPath = "/metrics";
    public const string SchedulerMetricsPath = "/metrics";
    public const string GatewayMetricsPath = "/stats/prometheus";

    public string Folder => FolderName;

    public static string VllmMonitoring(string pool) => pool + "-vllm";
    public static string SchedulerMonitoring(string pool) => pool + "-epp";
    public const string GatewayMonitoring = ClusterNames.GatewayName;

    public ManifestFolder Build(ClusterPlan plan)
    {
        var pool = plan.Pool;
        return new ManifestFolder(Folder,
        [
            new ManifestFile("podmonitoring-vllm.yaml",
                Monitoring(VllmMonitoring(pool.Name), pool.Namespace, ClusterLabels.WorkloadSelector(pool.Name), pool.Port, VllmMetricsPath)),
            new ManifestFile("podmonitoring-scheduler.yaml",
                Monitoring(SchedulerMonitoring(pool.Name), pool.Namespace, ClusterLabels.Scheduler(pool.Name), plan.Scheduler.MetricsPort, SchedulerMetricsPath)),
            new ManifestFile("podmonitoring-gateway.yaml",
                Monitoring(GatewayMonitoring, plan.Gateway.Namespace, ClusterLabels.Gateway(), plan.Gateway.MetricsPort, GatewayMetricsPath)),
            new ManifestFile("configmap-grafana-dashboard.yaml", Dashboard(pool)),
        ]);
    }

    private static PodMonitoring Monitoring(string name, string ns, IDictionary<string, string> selector, int port, string path) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new PodMonitoringSpec
        {
            Selector = new V1LabelSelector { MatchLabels = selector },
            Endpoints = [new ScrapeEndpoint { Port = port, Path = path, Interval = ScrapeInterval }],
        },
    };

    private static V1ConfigMap Dashboard(VllmPoolPlan pool) => new()
    {
        ApiVersion = V1ConfigMap.KubeApiVersion,
        Kind = V1ConfigMap.KubeKind,
        Metadata = new V1ObjectMeta
        {
            Name = DashboardConfigMap,
            NamespaceProperty = pool.Namespace,
            Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { [GrafanaDashboardLabel] = "1" },
        },
        Data = new SortedDictionary<string, string>(StringComparer.Ordinal) { [DashboardFile] = GrafanaDashboard.Json },
    };
}
