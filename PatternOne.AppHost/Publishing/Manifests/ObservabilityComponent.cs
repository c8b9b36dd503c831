using k8s.Models;
using PatternOne.AppHost.Publishing.Manifests.Topologies;
using PatternOne.AppHost.Publishing.Observability;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// What tells the cluster's monitoring what to scrape: GKE Managed Prometheus <c>PodMonitoring</c> objects for vLLM
/// (<c>:8000/metrics</c>), the scheduler (<c>:9090/metrics</c>) and the gateway (<c>:15090/stats/prometheus</c>), and
/// a Grafana dashboard in a ConfigMap that Grafana's dashboard sidecar loads (label <c>grafana_dashboard: "1"</c>).
/// Every topology writes them; what differs is who made the pods they select:
/// <code>
///  topology     gateway pods (opendatahub)                       vLLM :8000              scheduler :9090
///  standalone   our Deployment inference-gateway-istio           our Deployment (http)   our Deployment
///  istio        Istio's, by gateway.networking.k8s.io/gateway-name  our Deployment (http)   our Deployment
///  kserve       Istio's, as above                                 KServe's (https, self-signed)  KServe's
/// </code>
/// KServe's and Istio's pods carry the labels those controllers set (KServe <c>pkg/controller/llmisvc</c>, istio
/// <c>kube-gateway.yaml</c>), which our own Deployments copy, so one selector fits each component in every topology but
/// the gateway's. The NetworkPolicies that admit the collectors' scrapes are in <see cref="NetworkPoliciesComponent"/>.
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

    /// <summary>The gateway pods' labels a selector can use: Istio's own label when Istio deploys the gateway.</summary>
    public static IDictionary<string, string> GatewayPods(PublishTopology topology) =>
        topology == PublishTopology.Standalone ? ClusterLabels.Gateway() : ClusterLabels.IstioGateway();

    /// <summary>The port the gateway pods serve Envoy's Prometheus stats on.</summary>
    public static int GatewayMetricsPort(ClusterPlan plan) =>
        plan.Topology == PublishTopology.Standalone ? plan.Gateway.MetricsPort : IstioGatewayComponent.EnvoyPrometheusPort;

    public ManifestFolder Build(ClusterPlan plan)
    {
        var pool = plan.Pool;
        var vllm = Endpoint(pool.Port, VllmMetricsPath);
        if (plan.Topology == PublishTopology.KServe)
        {
            // KServe's vLLM serves HTTPS with the self-signed certificate KServe issues per service (its
            // DestinationRules skip verification for the same reason); the collector has no CA to check it against.
            vllm.Scheme = "https";
            vllm.Tls = new ScrapeTls { InsecureSkipVerify = true };
        }

        return new ManifestFolder(Folder,
        [
            new ManifestFile("podmonitoring-vllm.yaml",
                Monitoring(VllmMonitoring(pool.Name), pool.Namespace, ClusterLabels.WorkloadSelector(pool.Name), vllm)),
            new ManifestFile("podmonitoring-scheduler.yaml",
                Monitoring(SchedulerMonitoring(pool.Name), pool.Namespace, ClusterLabels.Scheduler(pool.Name),
                    Endpoint(plan.Scheduler.MetricsPort, SchedulerMetricsPath))),
            new ManifestFile("podmonitoring-gateway.yaml",
                Monitoring(GatewayMonitoring, plan.Gateway.Namespace, GatewayPods(plan.Topology),
                    Endpoint(GatewayMetricsPort(plan), GatewayMetricsPath))),
            new ManifestFile("configmap-grafana-dashboard.yaml", Dashboard(pool)),
        ]);
    }

    private static ScrapeEndpoint Endpoint(int port, string path) => new() { Port = port, Path = path, Interval = ScrapeInterval };

    private static PodMonitoring Monitoring(string name, string ns, IDictionary<string, string> selector, ScrapeEndpoint endpoint) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new PodMonitoringSpec
        {
            Selector = new V1LabelSelector { MatchLabels = selector },
            Endpoints = [endpoint],
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
