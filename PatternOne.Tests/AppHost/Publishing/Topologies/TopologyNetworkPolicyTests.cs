using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// The network policy intent on the Istio and KServe topologies, evaluated against their committed NetworkPolicies.
/// The pods Istio and KServe create are modelled with the labels and ports those controllers give them (istio
/// <c>kube-gateway.yaml</c>; KServe <c>pkg/controller/llmisvc</c>); our own Deployments are read from the output.
/// </summary>
public sealed class TopologyNetworkPolicyTests
{
    private const string AppNs = "llm-d-inference-scheduling";
    private const string GatewayNs = "opendatahub";
    private const string ApiServerIp = "172.16.0.2";

    private static readonly Dictionary<string, string> s_workloadLabels = new()
    {
        ["app.kubernetes.io/name"] = "qwen2-3b-pattern1",
        ["app.kubernetes.io/part-of"] = "llminferenceservice",
        ["app.kubernetes.io/component"] = "llminferenceservice-workload",
        ["kserve.io/component"] = "workload",
    };

    private static readonly Dictionary<string, string> s_schedulerLabels = new()
    {
        ["app.kubernetes.io/name"] = "qwen2-3b-pattern1",
        ["app.kubernetes.io/part-of"] = "llminferenceservice",
        ["app.kubernetes.io/component"] = "llminferenceservice-router-scheduler",
    };

    private static readonly Dictionary<string, string> s_istioGatewayLabels = new()
    {
        ["gateway.networking.k8s.io/gateway-name"] = "inference-gateway",
        ["gateway.networking.k8s.io/gateway-class-name"] = "istio",
        ["gateway.istio.io/managed"] = "istio.io-gateway-controller",
        ["service.istio.io/canonical-name"] = "inference-gateway-istio",
        ["sidecar.istio.io/inject"] = "false",
    };

    private static readonly Dictionary<PublishTopology, Lazy<(NetworkPolicyEvaluator, IReadOnlyDictionary<string, NetworkEndpoint>)>> s_worlds = new()
    {
        [PublishTopology.Istio] = new(() => Build(PublishTopology.Istio)),
        [PublishTopology.KServe] = new(() => Build(PublishTopology.KServe)),
    };

    private static (NetworkPolicyEvaluator, IReadOnlyDictionary<string, NetworkEndpoint>) Build(PublishTopology topology)
    {
        var objects = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object).ToList();
        var deployments = objects.OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);

        // Our Deployments where the topology writes them; otherwise the pods KServe's controller creates.
        NetworkEndpoint Pod(string name, string deployment, Dictionary<string, string> controllerLabels, string ip, params V1ContainerPort[] controllerPorts) =>
            deployments.TryGetValue(deployment, out var d)
                ? NetworkEndpoint.Pod(name, d.Metadata.NamespaceProperty, d.Spec.Template.Metadata.Labels, ip, [.. d.Spec.Template.Spec.Containers.SelectMany(c => c.Ports ?? [])])
                : NetworkEndpoint.Pod(name, AppNs, controllerLabels, ip, controllerPorts);

        NetworkEndpoint[] endpoints =
        [
            NetworkEndpoint.Pod("gateway", GatewayNs, s_istioGatewayLabels, "10.28.1.10",
                new V1ContainerPort { Name = "status-port", ContainerPort = 15021 },
                new V1ContainerPort { Name = "metrics", ContainerPort = 15020 },
                new V1ContainerPort { Name = "http-envoy-prom", ContainerPort = 15090 }),
            Pod("scheduler", "qwen2-3b-pattern1-kserve-router-scheduler", s_schedulerLabels, "10.28.1.20",
                new V1ContainerPort { Name = "grpc", ContainerPort = 9002 },
                new V1ContainerPort { Name = "grpc-health", ContainerPort = 9003 },
                new V1ContainerPort { Name = "metrics", ContainerPort = 9090 }),
            Pod("vllm", "qwen2-3b-pattern1-kserve", s_workloadLabels, "10.28.1.30", new V1ContainerPort { Name = "https", ContainerPort = 8000 }),
            NetworkEndpoint.Pod("istiod", "istio-system", new Dictionary<string, string> { ["app"] = "istiod", ["istio"] = "pilot" }, "10.28.0.20"),
            NetworkEndpoint.Pod("kube-dns", "kube-system", new Dictionary<string, string> { ["k8s-app"] = "kube-dns" }, "10.28.0.10"),
            NetworkEndpoint.Pod("kserve-controller", GatewayNs, new Dictionary<string, string> { ["control-plane"] = "kserve-controller-manager" }, "10.28.2.2"),
            NetworkEndpoint.Pod("debug-pod-in-app-ns", AppNs, new Dictionary<string, string> { ["app"] = "debug" }, "10.28.2.1"),
            NetworkEndpoint.Pod("pod-in-default", "default", new Dictionary<string, string> { ["app"] = "curl" }, "10.28.2.3"),
            NetworkEndpoint.Pod("gateway-lookalike-in-app-ns", AppNs, s_istioGatewayLabels, "10.28.2.4"),
            NetworkEndpoint.Pod("istiod-lookalike-in-default", "default", new Dictionary<string, string> { ["app"] = "istiod" }, "10.28.2.5"),
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
