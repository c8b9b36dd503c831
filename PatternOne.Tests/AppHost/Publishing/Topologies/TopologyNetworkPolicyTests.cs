using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// The network policy intent on the Istio and KServe topologies, evaluated against their committed NetworkPolicies.
/// The pods Istio and KServe create are the stand-ins of <see cref="ControllerPods"/> (the labels and ports those
/// controllers give them); our own Deployments are read from the output.
/// </summary>
public sealed class TopologyNetworkPolicyTests
{
    private const string AppNs = "llm-d-inference-scheduling";
    private const string GatewayNs = "opendatahub";
    private const string ApiServerIp = "172.16.0.2";

    private static readonly Dictionary<PublishTopology, Lazy<(NetworkPolicyEvaluator, IReadOnlyDictionary<string, NetworkEndpoint>)>> s_worlds = new()
    {
        [PublishTopology.Istio] = new(() => Build(PublishTopology.Istio)),
        [PublishTopology.KServe] = new(() => Build(PublishTopology.KServe)),
    };

    private static (NetworkPolicyEvaluator, IReadOnlyDictionary<string, NetworkEndpoint>) Build(PublishTopology topology)
    {
        var objects = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object).ToList();
        // Our Deployments where the topology writes them; otherwise the stand-ins of the pods Istio and KServe create.
        var deployments = ControllerPods.All(topology, objects).ToDictionary(d => d.Metadata.Name);
        var gateway = deployments["inference-gateway-istio"];
        var collector = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "collector" };

        NetworkEndpoint[] endpoints =
        [
            ControllerPods.Pod("gateway", gateway, "10.28.1.10"),
            ControllerPods.Pod("scheduler", deployments["qwen2-3b-pattern1-kserve-router-scheduler"], "10.28.1.20"),
            ControllerPods.Pod("vllm", deployments["qwen2-3b-pattern1-kserve"], "10.28.1.30"),
            NetworkEndpoint.Pod("istiod", "istio-system", new Dictionary<string, string> { ["app"] = "istiod", ["istio"] = "pilot" }, "10.28.0.20"),
            NetworkEndpoint.Pod("kube-dns", "kube-system", new Dictionary<string, string> { ["k8s-app"] = "kube-dns" }, "10.28.0.10"),
            NetworkEndpoint.Pod("kserve-controller", GatewayNs, new Dictionary<string, string> { ["control-plane"] = "kserve-controller-manager" }, "10.28.2.2"),
            NetworkEndpoint.Pod("debug-pod-in-app-ns", AppNs, new Dictionary<string, string> { ["app"] = "debug" }, "10.28.2.1"),
            NetworkEndpoint.Pod("pod-in-default", "default", new Dictionary<string, string> { ["app"] = "curl" }, "10.28.2.3"),
            NetworkEndpoint.Pod("gateway-lookalike-in-app-ns", AppNs, gateway.Spec.Template.Metadata.Labels, "10.28.2.4"),
            NetworkEndpoint.Pod("istiod-lookalike-in-default", "default", new Dictionary<string, string> { ["app"] = "istiod" }, "10.28.2.5"),
            // GKE Managed Prometheus' collector (managed collection on GKE Standard, the default gmp-namespace), the
            // Autopilot namespace (not the published one), and a pod that looks like a collector elsewhere.
            NetworkEndpoint.Pod("gmp-collector", "gmp-system", collector, "10.28.3.1"),
            NetworkEndpoint.Pod("autopilot-collector", "gke-gmp-system", collector, "10.28.3.3"),
            NetworkEndpoint.Pod("collector-lookalike-in-default", "default", collector, "10.28.3.2"),
            NetworkEndpoint.External("internet-client", "203.0.113.7"),
            NetworkEndpoint.External("huggingface-cdn", "18.239.50.101"),
            NetworkEndpoint.External("api-server", ApiServerIp),
            NetworkEndpoint.External("vpc-host", "10.128.0.5"),
        ];
        return (new NetworkPolicyEvaluator([.. objects.OfType<V1NetworkPolicy>()]), endpoints.ToDictionary(e => e.Name));
    }

    private static readonly (string From, string To, int Port, string Protocol)[] s_allowed =
    [
        ("internet-client", "gateway", 80, "TCP"),
        ("internet-client", "gateway", 443, "TCP"),
        ("internet-client", "gateway", 15021, "TCP"),
        ("gateway", "scheduler", 9002, "TCP"),
        ("gateway", "vllm", 8000, "TCP"),
        ("gateway", "istiod", 15012, "TCP"),
        ("gateway", "kube-dns", 53, "UDP"),
        ("gateway", "kube-dns", 53, "TCP"),
        ("scheduler", "vllm", 8000, "TCP"),
        ("scheduler", "api-server", 443, "TCP"),
        ("scheduler", "kube-dns", 53, "UDP"),
        ("vllm", "kube-dns", 53, "TCP"),
        ("vllm", "huggingface-cdn", 443, "TCP"),
        ("debug-pod-in-app-ns", "kube-dns", 53, "UDP"),
        // The collectors scrape each component's metrics port: vLLM's API port (it serves /metrics there), the
        // scheduler's 9090, Envoy's 15090 on Istio's gateway.
        ("gmp-collector", "vllm", 8000, "TCP"),
        ("gmp-collector", "scheduler", 9090, "TCP"),
        ("gmp-collector", "gateway", 15090, "TCP"),
    ];

    private static readonly (string From, string To, int Port, string Protocol)[] s_denied =
    [
        // Only public sources reach the gateway, and only on its listeners and status port.
        ("pod-in-default", "gateway", 443, "TCP"),
        ("vpc-host", "gateway", 443, "TCP"),
        ("internet-client", "gateway", 15090, "TCP"),
        ("internet-client", "gateway", 15020, "TCP"),
        ("internet-client", "vllm", 8000, "TCP"),
        ("internet-client", "scheduler", 9002, "TCP"),
        // No other pod reaches vLLM or the scheduler, including KServe's controller and look-alikes elsewhere.
        ("pod-in-default", "vllm", 8000, "TCP"),
        ("pod-in-default", "scheduler", 9002, "TCP"),
        ("debug-pod-in-app-ns", "vllm", 8000, "TCP"),
        ("debug-pod-in-app-ns", "scheduler", 9002, "TCP"),
        ("kserve-controller", "vllm", 8000, "TCP"),
        ("kserve-controller", "scheduler", 9002, "TCP"),
        ("gateway-lookalike-in-app-ns", "vllm", 8000, "TCP"),
        ("gateway-lookalike-in-app-ns", "scheduler", 9002, "TCP"),
        // Allowed peers, other ports.
        ("gateway", "scheduler", 9003, "TCP"),
        ("gateway", "scheduler", 9090, "TCP"),
        ("gateway", "istiod", 15010, "TCP"),
        ("scheduler", "vllm", 9000, "TCP"),
        // The gateway's xDS goes to istiod only, not to a pod that calls itself istiod elsewhere.
        ("gateway", "istiod-lookalike-in-default", 15012, "TCP"),
        ("gateway", "huggingface-cdn", 443, "TCP"),
        ("gateway", "api-server", 443, "TCP"),
        // vLLM: DNS and public 443 only; the scheduler: pool, DNS, API server only.
        ("vllm", "api-server", 443, "TCP"),
        ("vllm", "vpc-host", 443, "TCP"),
        ("vllm", "scheduler", 9002, "TCP"),
        ("vllm", "istiod", 15012, "TCP"),
        ("scheduler", "huggingface-cdn", 443, "TCP"),
        ("scheduler", "istiod", 15012, "TCP"),
        ("scheduler", "gateway", 443, "TCP"),
        ("debug-pod-in-app-ns", "huggingface-cdn", 443, "TCP"),
        // The collectors reach the metrics ports and nothing else; only those of the published namespace do.
        ("gmp-collector", "scheduler", 9002, "TCP"),
        ("gmp-collector", "scheduler", 9003, "TCP"),
        ("gmp-collector", "gateway", 15020, "TCP"),
        ("gmp-collector", "gateway", 15021, "TCP"),
        ("gmp-collector", "gateway", 443, "TCP"),
        ("collector-lookalike-in-default", "vllm", 8000, "TCP"),
        ("collector-lookalike-in-default", "scheduler", 9090, "TCP"),
        ("collector-lookalike-in-default", "gateway", 15090, "TCP"),
        ("autopilot-collector", "scheduler", 9090, "TCP"),
        ("autopilot-collector", "gateway", 15090, "TCP"),
    ];

    public static TheoryData<PublishTopology, string, string, int, string> AllowedFlows() => Flows(s_allowed);

    public static TheoryData<PublishTopology, string, string, int, string> DeniedFlows() => Flows(s_denied);

    private static TheoryData<PublishTopology, string, string, int, string> Flows((string, string, int, string)[] flows)
    {
        var data = new TheoryData<PublishTopology, string, string, int, string>();
        foreach (var topology in new[] { PublishTopology.Istio, PublishTopology.KServe })
        {
            foreach (var (from, to, port, protocol) in flows)
            {
                data.Add(topology, from, to, port, protocol);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllowedFlows))]
    public void IntendedFlow_IsAllowed(PublishTopology topology, string from, string to, int port, string protocol)
    {
        var (evaluator, endpoints) = s_worlds[topology].Value;
        Assert.True(evaluator.Allows(endpoints[from], endpoints[to], port, protocol), $"{topology}: {from} → {to}:{port}/{protocol} should be allowed");
    }

    [Theory]
    [MemberData(nameof(DeniedFlows))]
    public void OtherFlow_IsDenied(PublishTopology topology, string from, string to, int port, string protocol)
    {
        var (evaluator, endpoints) = s_worlds[topology].Value;
        Assert.False(evaluator.Allows(endpoints[from], endpoints[to], port, protocol), $"{topology}: {from} → {to}:{port}/{protocol} should be denied");
    }
}
