namespace PatternOne.AppHost.Publishing.Plan;

/// <summary>
/// The seed's object names (docs/architecture.md, "In a cluster: names and ports"); namespaces come from the app model.
/// They are a contract with the seed's users: their <c>kubectl</c> commands and dashboards use exactly these.
/// Names derived from the pool name follow KServe's <c>ChildName(name, suffix)</c> convention.
/// </summary>
public static class ClusterNames
{
    public const string CertManagerNamespace = "cert-manager";

    public const string GatewayName = "inference-gateway";
    public const string GatewayWorkload = "inference-gateway-istio";
    public const string GatewayTlsSecret = "inference-gateway-tls-cert";
    public const string SelfSignedIssuer = "opendatahub-selfsigned-issuer";
    public const string CaCertificate = "opendatahub-ca";
    public const string CaIssuer = "opendatahub-ca-issuer";

    public const string HuggingFaceSecret = "hf-token";
    public const string HuggingFaceSecretKey = "HF_TOKEN";

    public static string VllmDeployment(string pool) => pool + "-kserve";
    public static string VllmService(string pool) => pool + "-kserve-workload-svc";
    public static string SchedulerDeployment(string pool) => pool + "-kserve-router-scheduler";
    public static string SchedulerService(string pool) => pool + "-epp-service";
    public static string SchedulerServiceAccount(string pool) => pool + "-epp-sa";
    public static string SchedulerRole(string pool) => pool + "-epp-role";
    public static string SchedulerRoleBinding(string pool) => pool + "-epp-rb";
    public static string SchedulerProfile(string pool) => pool + "-epp-config";
    public static string InferencePool(string pool) => pool + "-inference-pool";
    public static string Route(string pool) => pool + "-kserve-route";

    /// <summary>The DestinationRule KServe's controller names for the scheduler's TLS (<c>&lt;name&gt;-kserve-scheduler</c>).</summary>
    public static string SchedulerDestinationRule(string pool) => pool + "-kserve-scheduler";

    /// <summary>Istio's overlay ConfigMap for the gateway it deploys (<c>infrastructure.parametersRef</c>).</summary>
    public const string GatewayOptions = "inference-gateway-options";

    /// <summary>Gateway class of Istio's Gateway API implementation.</summary>
    public const string IstioGatewayClass = "istio";

    /// <summary>Aspirate names a workload's configuration ConfigMap <c>&lt;name&gt;-env</c>.</summary>
    public static string EnvConfigMap(string workload) => workload + "-env";
}

/// <summary>Label keys and values the seed (KServe, Gateway API, GKE) puts on its objects.</summary>
public static class ClusterLabels
{
    public const string Name = "app.kubernetes.io/name";
    public const string PartOf = "app.kubernetes.io/part-of";
    public const string Component = "app.kubernetes.io/component";
    public const string KServeComponent = "kserve.io/component";
    public const string GatewayName = "gateway.networking.k8s.io/gateway-name";
    public const string NamespaceName = "kubernetes.io/metadata.name";
    public const string KubeDns = "k8s-app";

    public const string PartOfLlmisvc = "llminferenceservice";
    public const string WorkloadComponent = "llminferenceservice-workload";
    public const string SchedulerComponent = "llminferenceservice-router-scheduler";
    public const string KServeWorkload = "workload";
    public const string KubeDnsValue = "kube-dns";
    public const string KubeSystemNamespace = "kube-system";

    public const string TpuAccelerator = "cloud.google.com/gke-tpu-accelerator";
    public const string TpuTopology = "cloud.google.com/gke-tpu-topology";
    public const string TpuResource = "google.com/tpu";

    /// <summary>Labels on the vLLM pods (and their Deployment).</summary>
    public static SortedDictionary<string, string> Workload(string pool) => new(StringComparer.Ordinal)
    {
        [Name] = pool,
        [PartOf] = PartOfLlmisvc,
        [Component] = WorkloadComponent,
        [KServeComponent] = KServeWorkload,
    };

    /// <summary>KServe's workload selector: the Service and InferencePool select with these three labels.</summary>
    public static SortedDictionary<string, string> WorkloadSelector(string pool) => new(StringComparer.Ordinal)
    {
        [Name] = pool,
        [PartOf] = PartOfLlmisvc,
        [KServeComponent] = KServeWorkload,
    };

    public static SortedDictionary<string, string> Scheduler(string pool) => new(StringComparer.Ordinal)
    {
        [Name] = pool,
        [PartOf] = PartOfLlmisvc,
        [Component] = SchedulerComponent,
    };

    public static SortedDictionary<string, string> Gateway() => new(StringComparer.Ordinal)
    {
        [GatewayName] = ClusterNames.GatewayName,
        [Name] = ClusterNames.GatewayName,
    };

    /// <summary>
    /// The label Istio puts on the pods of the gateway it deploys for a Gateway API <c>Gateway</c>
    /// (istio <c>kube-gateway.yaml</c>); the only one the Istio topologies can select it by.
    /// </summary>
    public static SortedDictionary<string, string> IstioGateway() => new(StringComparer.Ordinal)
    {
        [GatewayName] = ClusterNames.GatewayName,
    };

    /// <summary>istiod's pods (label <c>app: istiod</c>), which serve the gateway's xDS configuration.</summary>
    public static SortedDictionary<string, string> Istiod() => new(StringComparer.Ordinal) { ["app"] = "istiod" };
}

/// <summary>
/// Ports the cluster fixes rather than the app model: the seed's public Service ports, DNS and HTTPS. Container ports
/// come from the resources' endpoints (their target ports).
/// </summary>
public static class ClusterPorts
{
    public const int GatewayServiceHttp = 80;
    public const int GatewayServiceHttps = 443;
    public const int Dns = 53;
    public const int KubernetesApi = 443;
    public const int PublicHttps = 443;

    /// <summary>istiod's xDS port (mTLS gRPC) that Istio gateway pods connect to.</summary>
    public const int IstiodXds = 15012;
}
