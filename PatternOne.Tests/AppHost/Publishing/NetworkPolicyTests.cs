using k8s.Models;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>
/// Every flow of the "Network policy intent" in docs/architecture.md, allowed and denied, evaluated against the committed
/// NetworkPolicies and the published pods' labels and ports.
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string AppNs = "llm-d-inference-scheduling";
    private const string GatewayNs = "opendatahub";

    /// <summary>The publish parameter <c>kube-api-server-cidr</c>'s default is 172.16.0.2/32.</summary>
    private const string ApiServerIp = "172.16.0.2";

    private static readonly Lazy<(NetworkPolicyEvaluator Evaluator, IReadOnlyDictionary<string, NetworkEndpoint> Endpoints)> s_world = new(Build);

    private static (NetworkPolicyEvaluator, IReadOnlyDictionary<string, NetworkEndpoint>) Build()
    {
        var objects = PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object).ToList();
        var deployments = objects.OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);

        NetworkEndpoint FromDeployment(string name, string deployment, string ip)
        {
            var d = deployments[deployment];
            return NetworkEndpoint.Pod(name, d.Metadata.NamespaceProperty, d.Spec.Template.Metadata.Labels, ip,
                [.. d.Spec.Template.Spec.Containers.SelectMany(c => c.Ports ?? [])]);
        }

        var gatewayLabels = deployments["inference-gateway-istio"].Spec.Template.Metadata.Labels;
        var schedulerLabels = deployments["qwen2-3b-pattern1-kserve-router-scheduler"].Spec.Template.Metadata.Labels;
        NetworkEndpoint[] endpoints =
        [
            FromDeployment("gateway", "inference-gateway-istio", "10.28.1.10"),
            FromDeployment("scheduler", "qwen2-3b-pattern1-kserve-router-scheduler", "10.28.1.20"),
            FromDeployment("vllm", "qwen2-3b-pattern1-kserve", "10.28.1.30"),
            NetworkEndpoint.Pod("kube-dns", "kube-system", new Dictionary<string, string> { ["k8s-app"] = "kube-dns" }, "10.28.0.10",
                new V1ContainerPort { Name = "dns", ContainerPort = 53, Protocol = "UDP" },
                new V1ContainerPort { Name = "dns-tcp", ContainerPort = 53, Protocol = "TCP" }),
            NetworkEndpoint.Pod("debug-pod-in-app-ns", AppNs, new Dictionary<string, string> { ["app"] = "debug" }, "10.28.2.1"),
            NetworkEndpoint.Pod("kserve-controller-in-gateway-ns", GatewayNs, new Dictionary<string, string> { ["app"] = "kserve" }, "10.28.2.2"),
            NetworkEndpoint.Pod("pod-in-default", "default", new Dictionary<string, string> { ["app"] = "curl" }, "10.28.2.3"),
            NetworkEndpoint.Pod("gateway-lookalike-in-app-ns", AppNs, gatewayLabels, "10.28.2.4"),
            NetworkEndpoint.Pod("scheduler-lookalike-in-default", "default", schedulerLabels, "10.28.2.5"),
            // GKE Managed Prometheus' collector (managed collection), and a pod that looks like one elsewhere.
            NetworkEndpoint.Pod("gmp-collector", "gmp-system", new Dictionary<string, string> { ["app.kubernetes.io/name"] = "collector" }, "10.28.3.1"),
            NetworkEndpoint.Pod("collector-lookalike-in-default", "default", new Dictionary<string, string> { ["app.kubernetes.io/name"] = "collector" }, "10.28.3.2"),
            NetworkEndpoint.External("internet-client", "203.0.113.7"),
            NetworkEndpoint.External("huggingface-cdn", "18.239.50.101"),
            NetworkEndpoint.External("api-server", ApiServerIp),
            NetworkEndpoint.External("metadata-server", "169.254.169.254"),
            NetworkEndpoint.External("vpc-host", "10.128.0.5"),
        ];
        return (new NetworkPolicyEvaluator([.. objects.OfType<V1NetworkPolicy>()]), endpoints.ToDictionary(e => e.Name));
    }

    public static TheoryData<string, string, int, string> AllowedFlows => new()
    {
        { "internet-client", "gateway", 8080, "TCP" },
        { "internet-client", "gateway", 8443, "TCP" },
        { "internet-client", "gateway", 15021, "TCP" },
        { "gateway", "scheduler", 9002, "TCP" },
        { "gateway", "vllm", 8000, "TCP" },
        { "scheduler", "vllm", 8000, "TCP" },
        { "scheduler", "api-server", 443, "TCP" },
        { "gateway", "kube-dns", 53, "UDP" },
        { "gateway", "kube-dns", 53, "TCP" },
        { "scheduler", "kube-dns", 53, "UDP" },
        { "scheduler", "kube-dns", 53, "TCP" },
        { "vllm", "kube-dns", 53, "UDP" },
        { "vllm", "kube-dns", 53, "TCP" },
        { "debug-pod-in-app-ns", "kube-dns", 53, "UDP" },
        { "vllm", "huggingface-cdn", 443, "TCP" },
        // Metrics scrapes by GKE Managed Prometheus.
        { "gmp-collector", "vllm", 8000, "TCP" },
        { "gmp-collector", "scheduler", 9090, "TCP" },
        { "gmp-collector", "gateway", 15090, "TCP" },
    };

    public static TheoryData<string, string, int, string> DeniedFlows => new()
    {
        // The collectors scrape the metrics ports and nothing else; a pod with their label elsewhere scrapes nothing.
        { "gmp-collector", "scheduler", 9002, "TCP" },
        { "gmp-collector", "gateway", 8443, "TCP" },
        { "gmp-collector", "gateway", 15021, "TCP" },
        { "collector-lookalike-in-default", "vllm", 8000, "TCP" },
        { "collector-lookalike-in-default", "scheduler", 9090, "TCP" },
        { "collector-lookalike-in-default", "gateway", 15090, "TCP" },
        // Only the gateway's listeners face the internet, and only the internet: not pods, not VPC hosts.
        { "pod-in-default", "gateway", 8443, "TCP" },
        { "debug-pod-in-app-ns", "gateway", 8080, "TCP" },
        { "vpc-host", "gateway", 8443, "TCP" },
        { "internet-client", "gateway", 15090, "TCP" },
        { "internet-client", "vllm", 8000, "TCP" },
        { "internet-client", "scheduler", 9002, "TCP" },
        // Any other pod → vLLM or scheduler (the seed's "kubelet" rule admitted every pod on 8000).
        { "pod-in-default", "vllm", 8000, "TCP" },
        { "pod-in-default", "scheduler", 9002, "TCP" },
        { "debug-pod-in-app-ns", "vllm", 8000, "TCP" },
        { "debug-pod-in-app-ns", "scheduler", 9002, "TCP" },
        { "kserve-controller-in-gateway-ns", "vllm", 8000, "TCP" },
        { "kserve-controller-in-gateway-ns", "scheduler", 9002, "TCP" },
        { "gateway-lookalike-in-app-ns", "vllm", 8000, "TCP" },
        { "gateway-lookalike-in-app-ns", "scheduler", 9002, "TCP" },
        { "scheduler-lookalike-in-default", "vllm", 8000, "TCP" },
        // Allowed peers, other ports.
        { "gateway", "scheduler", 9003, "TCP" },
        { "gateway", "scheduler", 9090, "TCP" },
        { "gateway", "vllm", 8001, "TCP" },
        { "scheduler", "vllm", 9000, "TCP" },
        { "gateway", "kube-dns", 53, "SCTP" },
        // vLLM → anything but DNS and public 443.
        { "vllm", "huggingface-cdn", 80, "TCP" },
        { "vllm", "vpc-host", 443, "TCP" },
        { "vllm", "metadata-server", 80, "TCP" },
        { "vllm", "metadata-server", 443, "TCP" },
        { "vllm", "api-server", 443, "TCP" },
        { "vllm", "scheduler", 9002, "TCP" },
        { "vllm", "gateway", 8080, "TCP" },
        { "vllm", "pod-in-default", 443, "TCP" },
        // Scheduler → internet, or anything but the pool, DNS and the API server.
        { "scheduler", "huggingface-cdn", 443, "TCP" },
        { "scheduler", "vpc-host", 443, "TCP" },
        { "scheduler", "api-server", 80, "TCP" },
        { "scheduler", "gateway", 8080, "TCP" },
        // The gateway reaches only the scheduler, the pool and DNS.
        { "gateway", "huggingface-cdn", 443, "TCP" },
        { "gateway", "api-server", 443, "TCP" },
        { "gateway", "pod-in-default", 80, "TCP" },
        // Unplanned pods in the app namespace get DNS only.
        { "debug-pod-in-app-ns", "huggingface-cdn", 443, "TCP" },
    };

    [Theory]
    [MemberData(nameof(AllowedFlows))]
    public void IntendedFlow_IsAllowed(string from, string to, int port, string protocol)
    {
        var (evaluator, endpoints) = s_world.Value;
        Assert.True(evaluator.Allows(endpoints[from], endpoints[to], port, protocol), $"{from} → {to}:{port}/{protocol} should be allowed");
    }

    [Theory]
    [MemberData(nameof(DeniedFlows))]
    public void OtherFlow_IsDenied(string from, string to, int port, string protocol)
    {
        var (evaluator, endpoints) = s_world.Value;
        Assert.False(evaluator.Allows(endpoints[from], endpoints[to], port, protocol), $"{from} → {to}:{port}/{protocol} should be denied");
    }

    [Fact]
    public void Policies_KeepTheSeedsNames()
    {
        var names = PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object).OfType<V1NetworkPolicy>()
            .Where(p => p.Metadata.NamespaceProperty == AppNs).Select(p => p.Metadata.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "default-deny-all", "allow-gateway-to-vllm", "allow-vllm-egress" }, names);
    }

    [Fact]
    public void SeedsKubeletRule_WouldAdmitEveryPod_AndTheEvaluatorSeesIt()
    {
        // The seed's allow-gateway-to-vllm (namespaceSelector: {} + podSelector: {}): the evaluator must flag its hole, or the denied
        // flows above prove nothing.
        var (_, endpoints) = s_world.Value;
        var seed = new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = "allow-gateway-to-vllm", NamespaceProperty = AppNs },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kserve.io/component"] = "workload" } },
                PolicyTypes = ["Ingress"],
                Ingress =
                [
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty = [new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector(), PodSelector = new V1LabelSelector() }],
                        Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = 8000 }],
                    },
                ],
            },
        };
        Assert.True(new NetworkPolicyEvaluator([seed]).Allows(endpoints["pod-in-default"], endpoints["vllm"], 8000, "TCP"));

        // …and its namespaceSelector: {} egress on 443 does not reach the internet.
        var seedEgress = new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = "allow-vllm-egress", NamespaceProperty = AppNs },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kserve.io/component"] = "workload" } },
                PolicyTypes = ["Egress"],
                Egress = [new V1NetworkPolicyEgressRule { To = [new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector() }], Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = 443 }] }],
            },
        };
        Assert.False(new NetworkPolicyEvaluator([seedEgress]).Allows(endpoints["vllm"], endpoints["huggingface-cdn"], 443, "TCP"));
    }
}
