namespace PatternOne.AppHost.Publishing;

/// <summary>
/// Publish-only parameters of the app model: everything the cluster needs that a laptop run does not (image names,
/// certificate names, the API server's address). Each is an Aspire parameter, so it is overridden the Aspire way:
/// <c>--Parameters:image-tag=0.2.0</c> on the publish command line, or <c>Parameters__image-tag</c> in the environment.
/// The defaults below are what the committed <c>aspirate-output/</c> was generated with.
/// </summary>
public static class PublishParameters
{
    /// <summary>Value of a list parameter that means "no entries" (e.g. no IP address in the certificate).</summary>
    public const string None = "none";

    /// <summary>Repository of the gateway image (no tag). Default <c>ghcr.io/patternone/gateway</c>.</summary>
    public const string GatewayImage = "gateway-image";

    /// <summary>Repository of the scheduler image (no tag). Default <c>ghcr.io/patternone/scheduler</c>.</summary>
    public const string SchedulerImage = "scheduler-image";

    /// <summary>Tag of the gateway and scheduler images (built from one commit). Default <c>0.1.0</c>.</summary>
    public const string ImageTag = "image-tag";

    /// <summary>Tag of <c>registry.redhat.io/rhaiis/vllm-tpu-rhel9</c>. Default <c>3.2.5</c> (the seed's).</summary>
    public const string VllmImageTag = "vllm-image-tag";

    /// <summary>
    /// Image of the init container that downloads <c>hf://</c> models (KServe's storage initializer).
    /// Default <c>kserve/storage-initializer:v0.15.2</c>.
    /// </summary>
    public const string StorageInitializerImage = "storage-initializer-image";

    /// <summary>Name of the registry pull Secret every pod references. Default <c>registry-pull-secret</c>.</summary>
    public const string ImagePullSecret = "image-pull-secret";

    /// <summary>Comma-separated DNS names of the gateway certificate, or <c>none</c>. Default: the seed's two names.</summary>
    public const string GatewayTlsDnsNames = "gateway-tls-dns-names";

    /// <summary>
    /// Comma-separated IP addresses of the gateway certificate (the LoadBalancer IP), or <c>none</c>.
    /// Default: the seed's <c>34.7.208.8</c>.
    /// </summary>
    public const string GatewayTlsIpAddresses = "gateway-tls-ip-addresses";

    /// <summary>
    /// CIDR of the Kubernetes API server as pods see it after Service translation
    /// (<c>kubectl get endpoints kubernetes -n default</c>); the scheduler's only egress beyond the pool and DNS.
    /// Default <c>172.16.0.2/32</c> (GKE's first control-plane address of a private cluster): set it per cluster.
    /// </summary>
    public const string KubeApiServerCidr = "kube-api-server-cidr";

    /// <summary>
    /// Which cluster to write for: <c>standalone</c> (default; our gateway, no Istio or KServe), <c>istio</c> (Istio's
    /// Gateway API with the Inference Extension, our scheduler as the pool's endpoint picker) or <c>kserve</c>
    /// (an LLMInferenceService whose scheduler runs our image). Each writes its own folder by default.
    /// </summary>
    public const string Topology = "topology";

    /// <summary>
    /// InferencePool API of the <c>istio</c> topology: <c>v1</c> (default, inference.networking.k8s.io, Istio 1.27+)
    /// or <c>v1alpha2</c> (inference.networking.x-k8s.io, Istio 1.26 / OSSM 3.1).
    /// </summary>
    public const string InferencePoolApi = "inference-pool-api";

    /// <summary>Namespace of istiod, which the Istio gateway pods fetch their configuration from. Default <c>istio-system</c>.</summary>
    public const string IstioNamespace = "istio-namespace";

    /// <summary>
    /// Namespace of GKE Managed Prometheus' collector pods, which the <c>allow-gmp-scrape-*</c> NetworkPolicies admit.
    /// Default <c>gmp-system</c> (GKE Standard, the seed's cluster); GKE Autopilot runs them in <c>gke-gmp-system</c>.
    /// </summary>
    public const string GmpNamespace = "gmp-namespace";

    /// <summary>
    /// Whether the public route prefix also reaches vLLM's operational endpoints (<c>/metrics</c>, <c>/tokenize</c>,
    /// <c>/load</c>, …) — in every topology: our gateway's route setting, the Istio and KServe HTTPRoute's rules.
    /// Default <c>false</c>: only the OpenAI API (<c>/v1/*</c>) and <c>/health</c>.
    /// </summary>
    public const string ExposeOperationalEndpoints = "expose-operational-endpoints";

    internal static readonly IReadOnlyList<(string Name, string Default, string Description)> All =
    [
        (GatewayImage, "ghcr.io/patternone/gateway", "Repository of the gateway image (no tag)."),
        (SchedulerImage, "ghcr.io/patternone/scheduler", "Repository of the scheduler image (no tag)."),
        (ImageTag, "0.1.0", "Tag of the gateway and scheduler images."),
        (VllmImageTag, "3.2.5", "Tag of registry.redhat.io/rhaiis/vllm-tpu-rhel9."),
        (StorageInitializerImage, "kserve/storage-initializer:v0.15.2", "Init container image that downloads hf:// models."),
        (ImagePullSecret, "registry-pull-secret", "Registry pull Secret referenced by every pod."),
        (GatewayTlsDnsNames, "inference-gateway.opendatahub.svc.cluster.local,*.llm-d-inference-scheduling.svc.cluster.local", "DNS names of the gateway certificate (comma-separated)."),
        (GatewayTlsIpAddresses, "34.7.208.8", "IP addresses of the gateway certificate (comma-separated)."),
        (KubeApiServerCidr, "172.16.0.2/32", "Kubernetes API server endpoint CIDR (kubectl get endpoints kubernetes -n default)."),
        (Topology, "standalone", "Cluster topology: standalone, istio or kserve."),
        (InferencePoolApi, "v1", "InferencePool API of the istio topology: v1 or v1alpha2."),
        (IstioNamespace, "istio-system", "Namespace of istiod (istio and kserve topologies)."),
        (ExposeOperationalEndpoints, "false", "Expose vLLM's operational endpoints (/metrics, /tokenize, …) through the public prefix: true or false."),
        (GmpNamespace, "gmp-system", "Namespace of GKE Managed Prometheus' collectors: gmp-system (Standard) or gke-gmp-system (Autopilot)."),
    ];
}
