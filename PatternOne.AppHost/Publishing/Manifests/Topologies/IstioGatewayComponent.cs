using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// The seed's Istio ingress as a Gateway API <c>Gateway</c> (class <c>istio</c>): HTTP 80 and HTTPS 443 terminating
/// with cert-manager's <c>inference-gateway-tls-cert</c>, routes from every namespace. Istio deploys it as Deployment and
/// LoadBalancer Service <c>inference-gateway-istio</c>; an overlay keeps client addresses (externalTrafficPolicy
/// Local) so that the NetworkPolicy can admit public sources only, as in the standalone topology.
/// </summary>
internal sealed class IstioGatewayComponent : IManifestComponent
{
    public const string FolderName = "gateway";
    public const string HttpListener = "http";
    public const string HttpsListener = "https";

    /// <summary>The port Istio's gateway pods serve their readiness on (<c>/healthz/ready</c>), in its Service too.</summary>
    public const int StatusPort = 15021;

    /// <summary>
    /// Envoy's own Prometheus endpoint on Istio's gateway pods (container port <c>http-envoy-prom</c>,
    /// <c>/stats/prometheus</c>; istio <c>kube-gateway.yaml</c>). 15020 serves Envoy's and the agent's stats merged, but
    /// only these are the Envoy series a gateway dashboard reads.
    /// </summary>
    public const int EnvoyPrometheusPort = 15090;

    /// <summary>Istio's key for the Service overlay in the <c>parametersRef</c> ConfigMap.</summary>
    private const string ServiceOverlayKey = "service";

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan) => new(Folder,
    [
        new ManifestFile("configmap-options.yaml", Options(plan)),
        new ManifestFile("gateway.yaml", Gateway(plan)),
    ]);

    private static V1ConfigMap Options(ClusterPlan plan) => new()
    {
        ApiVersion = V1ConfigMap.KubeApiVersion,
        Kind = V1ConfigMap.KubeKind,
        Metadata = new V1ObjectMeta { Name = ClusterNames.GatewayOptions, NamespaceProperty = plan.Gateway.Namespace },
        Data = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            // With "Cluster" the load balancer's traffic would arrive from node addresses, and a policy admitting
            // public sources would admit nothing.
            [ServiceOverlayKey] = "spec:\n  externalTrafficPolicy: Local\n",
        },
    };

    private static GatewayApiGateway Gateway(ClusterPlan plan) => new()
    {
        Metadata = new V1ObjectMeta { Name = ClusterNames.GatewayName, NamespaceProperty = plan.Gateway.Namespace },
        Spec = new GatewaySpec
        {
            GatewayClassName = ClusterNames.IstioGatewayClass,
            Infrastructure = new GatewayInfrastructure
            {
                ParametersRef = new LocalParametersReference { Group = "", Kind = V1ConfigMap.KubeKind, Name = ClusterNames.GatewayOptions },
            },
            Listeners =
            [
                // The route lives in the app namespace: the default "Same" would not let it attach.
                new GatewayListener
                {
                    Name = HttpListener,
                    Port = ClusterPorts.GatewayServiceHttp,
                    Protocol = "HTTP",
                    AllowedRoutes = new AllowedRoutes { Namespaces = new RouteNamespaces { From = "All" } },
                },
                new GatewayListener
                {
                    Name = HttpsListener,
                    Port = ClusterPorts.GatewayServiceHttps,
                    Protocol = "HTTPS",
                    AllowedRoutes = new AllowedRoutes { Namespaces = new RouteNamespaces { From = "All" } },
                    Tls = new GatewayTlsConfig
                    {
                        Mode = "Terminate",
                        CertificateRefs = [new SecretObjectReference { Group = "", Kind = "Secret", Name = ClusterNames.GatewayTlsSecret }],
                    },
                },
            ],
        },
    };
}
