using System.Net;
using System.Net.Sockets;
using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// NetworkPolicies implementing the "Network policy intent" of docs/architecture.md exactly:
/// <code>
///  internet (public IPv4) ──8080/8443/15021──▶ gateway ──9002──▶ scheduler ──8000──▶ vLLM ──443──▶ public internet (download)
///                                   └──────────8000──────────────────────▶ vLLM        scheduler ──443──▶ API server
///  GKE Managed Prometheus collectors (gmp-namespace) ──8000 / 9090 / 15090──▶ vLLM / scheduler / gateway metrics
///  every pod ──53 UDP+TCP──▶ kube-dns (its own policy in the app namespace, repeated per component for clarity);   everything else: denied (default-deny-all, gateway isolated by its own policies)
/// </code>
/// Corrections to the seed (kubernetes.io/docs/concepts/services-networking/network-policies/): no "kubelet" rule (node traffic is always allowed, and the seed's
/// <c>namespaceSelector: {}</c> + <c>podSelector: {}</c> opened 8000 to every pod), and public egress is an
/// <c>ipBlock</c> — <c>namespaceSelector: {}</c> selects pods, never external addresses.
/// The Istio and KServe topologies have the same flows; the gateway is then Istio's (selected by its
/// <c>gateway-name</c> label, serving 80/443/15021 itself) and also reaches istiod for its configuration (xDS 15012).
/// </summary>
internal sealed class NetworkPoliciesComponent : IManifestComponent
{
    public const string FolderName = "network-policies";

    public const string DefaultDenyAll = "default-deny-all";
    public const string AllowDnsEgress = "allow-dns-egress";
    public const string AllowGatewayToVllm = "allow-gateway-to-vllm";
    public const string AllowEppToVllm = "allow-epp-to-vllm";
    public const string AllowVllmEgress = "allow-vllm-egress";
    public const string AllowGatewayToEpp = "allow-gateway-to-epp";
    public const string AllowEppEgress = "allow-epp-egress";
    public const string AllowInternetToGateway = "allow-internet-to-gateway";
    public const string AllowGatewayEgress = "allow-gateway-egress";
    public const string AllowScrapeVllm = "allow-gmp-scrape-vllm";
    public const string AllowScrapeEpp = "allow-gmp-scrape-epp";
    public const string AllowScrapeGateway = "allow-gmp-scrape-gateway";

    /// <summary>
    /// The label of GKE Managed Prometheus' collector pods (prometheus-engine's collector DaemonSet); their namespace is
    /// the publish parameter <c>gmp-namespace</c>.
    /// </summary>
    public const string GmpCollectorLabel = "app.kubernetes.io/name", GmpCollectorValue = "collector";

    /// <summary>
    /// Not "public internet": RFC 1918, carrier-grade NAT (GKE may use it for pods) and link-local (the metadata
    /// server). The vLLM download may reach any other address on 443.
    /// </summary>
    public static readonly IReadOnlyList<string> NonPublicRanges =
        ["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"];

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan)
    {
        var pool = plan.Pool;
        var app = pool.Namespace;
        var gatewayNs = plan.Gateway.Namespace;
        var vllm = Selector(ClusterLabels.WorkloadSelector(pool.Name));
        var scheduler = Selector(ClusterLabels.Scheduler(pool.Name));
        var istio = plan.Topology != PublishTopology.Standalone;
        var gateway = Selector(ObservabilityComponent.GatewayPods(plan.Topology));
        int[] gatewayPorts = istio
            ? [ClusterPorts.GatewayServiceHttp, ClusterPorts.GatewayServiceHttps, Topologies.IstioGatewayComponent.StatusPort]
            : [plan.Gateway.HttpPort, plan.Gateway.HttpsPort, plan.Gateway.StatusPort];
        List<V1NetworkPolicyEgressRule> gatewayEgress =
        [
            EgressRule([Peer(app, scheduler)], Tcp(plan.Scheduler.ExtProcPort)),
            EgressRule([Peer(app, vllm)], Tcp(pool.Port)),
            Dns(),
        ];
        if (istio)
        {
            gatewayEgress.Add(EgressRule([Peer(plan.IstioNamespace, Selector(ClusterLabels.Istiod()))], Tcp(ClusterPorts.IstiodXds)));
        }

        V1NetworkPolicy[] policies =
        [
            Policy(DefaultDenyAll, app, new V1LabelSelector(), ingress: [], egress: []),
            // "Every pod → kube-dns": also pods nobody planned for (a debug pod), or every lookup would hang.
            Policy(AllowDnsEgress, app, new V1LabelSelector(), egress: [Dns()]),
            Policy(AllowGatewayToVllm, app, vllm,
                ingress: [Rule([Peer(gatewayNs, gateway)], Tcp(pool.Port))]),
            Policy(AllowEppToVllm, app, vllm,
                ingress: [Rule([Peer(null, scheduler)], Tcp(pool.Port))]),
            Policy(AllowVllmEgress, app, vllm,
                egress: [Dns(), EgressRule([PublicInternet(plan.KubeApiServerCidr)], Tcp(ClusterPorts.PublicHttps))]),
            Policy(AllowGatewayToEpp, app, scheduler,
                ingress: [Rule([Peer(gatewayNs, gateway)], Tcp(plan.Scheduler.ExtProcPort))]),
            Policy(AllowEppEgress, app, scheduler,
                egress:
                [
                    EgressRule([Peer(null, vllm)], Tcp(pool.Port)),
                    Dns(),
                    EgressRule([new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = plan.KubeApiServerCidr } }], Tcp(ClusterPorts.KubernetesApi)),
                ]),
            // Internet clients only: the gateway Service keeps client addresses (externalTrafficPolicy Local), so
            // public sources are visible here, and pods or VPC hosts (private ranges) stay out.
            Policy(AllowInternetToGateway, gatewayNs, gateway,
                ingress: [Rule([PublicInternet(null)], Tcp(gatewayPorts))]),
            Policy(AllowGatewayEgress, gatewayNs, gateway, egress: gatewayEgress),
            // GKE Managed Prometheus' collectors scrape each component's metrics port and nothing else (vLLM serves
            // /metrics on its API port, so for vLLM that port is 8000).
            Policy(AllowScrapeVllm, app, vllm, ingress: [Rule([GmpCollectors(plan)], Tcp(pool.Port))]),
            Policy(AllowScrapeEpp, app, scheduler, ingress: [Rule([GmpCollectors(plan)], Tcp(plan.Scheduler.MetricsPort))]),
            Policy(AllowScrapeGateway, gatewayNs, gateway, ingress: [Rule([GmpCollectors(plan)], Tcp(ObservabilityComponent.GatewayMetricsPort(plan)))]),
        ];

        return new ManifestFolder(Folder, [.. policies.Select(p => new ManifestFile($"{p.Metadata.NamespaceProperty}-{p.Metadata.Name}.yaml", p))]);
    }

    private static V1NetworkPolicy Policy(
        string name, string ns, V1LabelSelector podSelector,
        IList<V1NetworkPolicyIngressRule>? ingress = null, IList<V1NetworkPolicyEgressRule>? egress = null)
    {
        List<string> types = [];
        if (ingress is not null)
        {
            types.Add("Ingress");
        }

        if (egress is not null)
        {
            types.Add("Egress");
        }

        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = V1NetworkPolicy.KubeKind,
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = podSelector,
                PolicyTypes = types,
                // An empty rule list under a listed policy type denies that direction; omit it from the YAML.
                Ingress = ingress is { Count: > 0 } ? ingress : null,
                Egress = egress is { Count: > 0 } ? egress : null,
            },
        };
    }

    private static V1LabelSelector Selector(IDictionary<string, string> labels) => new() { MatchLabels = labels };

    /// <summary>
    /// Pods matching <paramref name="pods"/> in namespace <paramref name="ns"/> (both in one peer: AND), or in the
    /// policy's own namespace when <paramref name="ns"/> is null.
    /// </summary>
    private static V1NetworkPolicyPeer Peer(string? ns, V1LabelSelector pods) => new()
    {
        NamespaceSelector = ns is null ? null : Selector(new SortedDictionary<string, string>(StringComparer.Ordinal) { [ClusterLabels.NamespaceName] = ns }),
        PodSelector = pods,
    };

    private static V1NetworkPolicyPeer GmpCollectors(ClusterPlan plan) =>
        Peer(plan.GmpNamespace, Selector(new SortedDictionary<string, string>(StringComparer.Ordinal) { [GmpCollectorLabel] = GmpCollectorValue }));

    private static V1NetworkPolicyIngressRule Rule(IList<V1NetworkPolicyPeer> from, IList<V1NetworkPolicyPort> ports) => new() { FromProperty = from, Ports = ports };

    private static V1NetworkPolicyEgressRule EgressRule(IList<V1NetworkPolicyPeer> to, IList<V1NetworkPolicyPort> ports) => new() { To = to, Ports = ports };

    private static List<V1NetworkPolicyPort> Tcp(params int[] ports) => [.. ports.Select(p => new V1NetworkPolicyPort { Protocol = "TCP", Port = p })];

    /// <summary>kube-dns in kube-system, UDP and TCP 53 (large answers fall back to TCP).</summary>
    private static V1NetworkPolicyEgressRule Dns() => EgressRule(
        [Peer(ClusterLabels.KubeSystemNamespace, Selector(new SortedDictionary<string, string>(StringComparer.Ordinal) { [ClusterLabels.KubeDns] = ClusterLabels.KubeDnsValue }))],
        [
            new V1NetworkPolicyPort { Protocol = "UDP", Port = ClusterPorts.Dns },
            new V1NetworkPolicyPort { Protocol = "TCP", Port = ClusterPorts.Dns },
        ]);

    /// <summary>Every IPv4 address but the non-public ranges and, if given, the API server (not "internet").</summary>
    private static V1NetworkPolicyPeer PublicInternet(string? apiServerCidr)
    {
        List<string> except = [.. NonPublicRanges];
        if (apiServerCidr is not null && IPNetwork.TryParse(apiServerCidr, out var api) && api.BaseAddress.AddressFamily == AddressFamily.InterNetwork
            && !NonPublicRanges.Select(IPNetwork.Parse).Any(range => range.PrefixLength <= api.PrefixLength && range.Contains(api.BaseAddress)))
        {
            except.Add(apiServerCidr);
        }

        return new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "0.0.0.0/0", Except = except } };
    }
}
