using k8s.Models;
using PatternOne.AppHost.Publishing.Manifests.Topologies;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// The objects of the Istio and KServe topologies refer to each other correctly: route → pool → endpoint picker
/// Service → scheduler pods, pool selector → vLLM pods only, listener → cert-manager Secret, RBAC → what the
/// scheduler reads, KServe's template → our image with the preset's flags.
/// </summary>
public sealed class TopologyContractTests
{
    private const string AppNs = "llm-d-inference-scheduling";
    private const string GatewayNs = "opendatahub";

    private static readonly Lazy<List<object>> s_istio = new(() => Load(PublishTopology.Istio));
    private static readonly Lazy<List<object>> s_kserve = new(() => Load(PublishTopology.KServe));

    private static List<object> Load(PublishTopology topology) =>
        [.. PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object)];

    [Fact]
    public void Route_SendsThePrefixToThePool_Rewritten()
    {
        var route = s_istio.Value.OfType<GatewayApiHttpRoute>().Single();
        var pool = s_istio.Value.OfType<InferencePoolV1>().Single();

        // Every rule goes to the pool; which paths they admit and how they rewrite them: PublicRouteTests.
        Assert.Equal(2, route.Spec.Rules.Count);
        Assert.All(route.Spec.Rules, rule =>
        {
            var backend = Assert.Single(rule.BackendRefs);
            Assert.Equal((InferencePoolV1.KubeGroup, "InferencePool", pool.Metadata.Name), (backend.Group, backend.Kind, backend.Name));
            Assert.StartsWith("/llm-d-inference-scheduling/qwen2-3b-pattern1/", Assert.Single(rule.Matches).Path.Value, StringComparison.Ordinal);
            Assert.Equal(("0s", "0s"), (rule.Timeouts!.Request, rule.Timeouts.BackendRequest));
        });
        Assert.Equal(pool.Metadata.NamespaceProperty, route.Metadata.NamespaceProperty);
        var parent = Assert.Single(route.Spec.ParentRefs);
        var gateway = s_istio.Value.OfType<GatewayApiGateway>().Single();
        Assert.Equal((gateway.Metadata.Name, gateway.Metadata.NamespaceProperty), (parent.Name, parent.Namespace));
    }

    [Fact]
    public async Task V1Alpha2_RouteBackendIsTheV1Alpha2Pool()
    {
        using var run = await PublishRun.PublishAsync([PublishRun.TopologyArgument(PublishTopology.Istio), "Parameters:inference-pool-api=v1alpha2"]);
        var objects = run.Objects().Select(o => o.Object).ToList();

        var pool = objects.OfType<InferencePoolV1Alpha2>().Single();
        Assert.Empty(objects.OfType<InferencePoolV1>());
        Assert.All(objects.OfType<GatewayApiHttpRoute>().Single().Spec.Rules.Select(r => Assert.Single(r.BackendRefs)),
            backend => Assert.Equal((InferencePoolV1Alpha2.KubeGroup, "InferencePool", pool.Metadata.Name), (backend.Group, backend.Kind, backend.Name)));
        AssertSelectsVllmOnly(objects, pool.Spec.Selector);
        Assert.Equal(8000, pool.Spec.TargetPortNumber);
        AssertServiceSelectsScheduler(objects, pool.Spec.ExtensionRef.Name, pool.Spec.ExtensionRef.PortNumber!.Value);
        // The scheduler is started for the pool's group, and its Role covers that group.
        var args = Scheduler(objects).Spec.Template.Spec.Containers.Single().Args;
        Assert.Equal(InferencePoolV1Alpha2.KubeGroup, ArgValue(args, "--pool-group"));
        Assert.Contains(objects.OfType<V1Role>().Single().Rules, r => r.ApiGroups.SequenceEqual([InferencePoolV1Alpha2.KubeGroup]) && r.Resources.SequenceEqual(["inferencepools"]));
    }

    [Fact]
    public void PoolsEndpointPicker_IsAServiceSelectingTheSchedulerOn9002()
    {
        var pool = s_istio.Value.OfType<InferencePoolV1>().Single();
        var picker = pool.Spec.EndpointPickerRef;

        Assert.Equal("Service", picker.Kind);
        Assert.Equal(9002, picker.Port!.Number);
        Assert.Equal("FailOpen", picker.FailureMode);
        AssertServiceSelectsScheduler(s_istio.Value, picker.Name, picker.Port.Number);
    }

    [Fact]
    public void PoolSelector_SelectsTheVllmPodsAndNoOthers()
    {
        var pool = s_istio.Value.OfType<InferencePoolV1>().Single();

        AssertSelectsVllmOnly(s_istio.Value, pool.Spec.Selector.MatchLabels);
        Assert.Equal(8000, Assert.Single(pool.Spec.TargetPorts).Number);
        var vllm = s_istio.Value.OfType<V1Deployment>().Single(d => d.Metadata.Name == "qwen2-3b-pattern1-kserve");
        Assert.Contains(vllm.Spec.Template.Spec.Containers.Single().Ports, p => p.ContainerPort == 8000);
    }

    [Fact]
    public void SchedulerArgs_NameThePoolItServes()
    {
        var pool = s_istio.Value.OfType<InferencePoolV1>().Single();
        var args = Scheduler(s_istio.Value).Spec.Template.Spec.Containers.Single().Args;

        Assert.Equal(pool.Metadata.Name, ArgValue(args, "--pool-name"));
        Assert.Equal(pool.Metadata.NamespaceProperty, ArgValue(args, "--pool-namespace"));
        Assert.Equal(InferencePoolV1.KubeGroup, ArgValue(args, "--pool-group"));
        Assert.Equal("9002", ArgValue(args, "--grpc-port"));
        Assert.Contains("--secure-serving", args);
        // The profile file the scheduler reads is the one the ConfigMap mounts.
        var configFile = ArgValue(args, "--config-file");
        var mount = Scheduler(s_istio.Value).Spec.Template.Spec.Containers.Single().VolumeMounts.Single(m => m.MountPath == configFile);
        var volume = Scheduler(s_istio.Value).Spec.Template.Spec.Volumes.Single(v => v.Name == mount.Name);
        Assert.Contains(mount.SubPath, s_istio.Value.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == volume.ConfigMap.Name).Data.Keys);
    }

    [Fact]
    public void EndpointPickerRbac_AllowsExactlyReadingPodsPoolsAndObjectives()
    {
        var role = s_istio.Value.OfType<V1Role>().Single();
        var binding = s_istio.Value.OfType<V1RoleBinding>().Single();
        var scheduler = Scheduler(s_istio.Value);

        var granted = role.Rules
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res}/{v}"))))
            .Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "/pods/get", "/pods/list", "/pods/watch",
            "inference.networking.k8s.io/inferencepools/get", "inference.networking.k8s.io/inferencepools/list", "inference.networking.k8s.io/inferencepools/watch",
            "llm-d.ai/inferenceobjectives/get", "llm-d.ai/inferenceobjectives/list", "llm-d.ai/inferenceobjectives/watch",
        ], granted);
        Assert.All(role.Rules, r => Assert.Null(r.ResourceNames));
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal((scheduler.Spec.Template.Spec.ServiceAccountName, AppNs), (subject.Name, subject.NamespaceProperty));
        Assert.Empty(s_istio.Value.OfType<V1ClusterRole>());
    }

    [Fact]
    public void DestinationRule_OriginatesTlsToTheEndpointPickerService()
    {
        var rule = s_istio.Value.OfType<IstioDestinationRule>().Single();
        var pool = s_istio.Value.OfType<InferencePoolV1>().Single();

        Assert.Equal($"{pool.Spec.EndpointPickerRef.Name}.{AppNs}.svc.cluster.local", rule.Spec.Host);
        Assert.Equal("SIMPLE", rule.Spec.TrafficPolicy!.Tls!.Mode);
    }

    public static TheoryData<string> BothIstioTopologies => ["istio", "kserve"];

    [Theory]
    [MemberData(nameof(BothIstioTopologies))]
    public void Gateway_ListensOn80And443_TerminatingWithTheCertManagerSecret(string topology)
    {
        var objects = topology == "istio" ? s_istio.Value : s_kserve.Value;
        var gateway = objects.OfType<GatewayApiGateway>().Single();
        var certificate = objects.OfType<global::PatternOne.AppHost.Publishing.Manifests.CertManagerCertificate>().Single(c => c.Metadata.Name == "inference-gateway-tls");

        Assert.Equal(("inference-gateway", GatewayNs, "istio"), (gateway.Metadata.Name, gateway.Metadata.NamespaceProperty, gateway.Spec.GatewayClassName));
        Assert.Equal([(80, "HTTP"), (443, "HTTPS")], gateway.Spec.Listeners.Select(l => (l.Port, l.Protocol)));
        var https = gateway.Spec.Listeners.Single(l => l.Protocol == "HTTPS");
        Assert.Equal("Terminate", https.Tls!.Mode);
        Assert.Equal(certificate.Spec.SecretName, Assert.Single(https.Tls.CertificateRefs).Name);
        Assert.Equal(gateway.Metadata.NamespaceProperty, certificate.Metadata.NamespaceProperty);
        Assert.All(gateway.Spec.Listeners, l => Assert.Equal("All", l.AllowedRoutes!.Namespaces!.From));
        // Istio's Service keeps client addresses, which the gateway's NetworkPolicy relies on.
        var options = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == gateway.Spec.Infrastructure!.ParametersRef!.Name);
        Assert.Contains("externalTrafficPolicy: Local", options.Data["service"]);
    }

    [Fact]
    public void KServeScheduler_RunsOurImage_WithExactlyThePresetsFlagsAndOurProfile()
    {
        var service = s_kserve.Value.OfType<LlmInferenceService>().Single();
        var main = Assert.Single(service.Spec.Router!.Scheduler!.Template!.Containers);

        Assert.Equal("main", main.Name);
        Assert.Equal("ghcr.io/patternone/scheduler:0.1.0", main.Image);
        // opendatahub-io/kserve release-v0.15 config/llmisvc/config-llm-scheduler.yaml, rendered for qwen2-3b-pattern1.
        Assert.Equal(
        [
            "--pool-name", "qwen2-3b-pattern1-inference-pool", "--pool-namespace", AppNs,
            "--pool-group", "inference.networking.x-k8s.io", "--zap-encoder", "json",
            "--grpc-port", "9002", "--grpc-health-port", "9003", "--secure-serving",
            "--model-server-metrics-scheme", "https", "--cert-path", "/var/run/kserve/tls",
            "--config-file", "/etc/patternone/scheduler/endpoint-picker.yaml",
        ], main.Args);
        var mount = main.VolumeMounts.Single(m => m.MountPath == "/etc/patternone/scheduler/endpoint-picker.yaml");
        var volume = service.Spec.Router.Scheduler.Template.Volumes.Single(v => v.Name == mount.Name);
        var profile = s_kserve.Value.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == volume.ConfigMap.Name);
        Assert.Equal(AppNs, profile.Metadata.NamespaceProperty);
        Assert.Contains(mount.SubPath, profile.Data.Keys);
    }

    [Fact]
    public void KServeService_IsTheSeeds_OnTheIstioGateway()
    {
        var service = s_kserve.Value.OfType<LlmInferenceService>().Single();
        var gateway = s_kserve.Value.OfType<GatewayApiGateway>().Single();
        var spec = service.Spec.Template!;
        var main = spec.Containers.Single(c => c.Name == "main");

        Assert.Equal(("qwen2-3b-pattern1", AppNs), (service.Metadata.Name, service.Metadata.NamespaceProperty));
        Assert.Equal(("hf://Qwen/Qwen2.5-3B-Instruct", "Qwen/Qwen2.5-3B-Instruct"), (service.Spec.Model.Uri, service.Spec.Model.Name));
        var reference = Assert.Single(service.Spec.Router!.Gateway!.Refs);
        Assert.Equal((gateway.Metadata.Name, gateway.Metadata.NamespaceProperty), (reference.Name, reference.Namespace));
        // Our rules replace the preset's; they go to the v1alpha2 pool KServe creates and the scheduler watches.
        Assert.All(service.Spec.Router.Route!.Http!.Spec!.Rules.Select(r => Assert.Single(r.BackendRefs)),
            b => Assert.Equal((InferencePoolV1Alpha2.KubeGroup, "InferencePool", "qwen2-3b-pattern1-inference-pool"), (b.Group, b.Kind, b.Name)));
        Assert.Equal("tpu-v6e-slice", spec.NodeSelector["cloud.google.com/gke-tpu-accelerator"]);
        Assert.Equal("2x2", spec.NodeSelector["cloud.google.com/gke-tpu-topology"]);
        Assert.Contains(spec.Tolerations, t => t.Key == "google.com/tpu" && t.Effect == "NoSchedule");
        Assert.Equal("4", main.Resources.Requests["google.com/tpu"].ToString());
        Assert.Equal("4", main.Resources.Limits["google.com/tpu"].ToString());
        Assert.Contains("--tensor-parallel-size=4", main.Args);
        Assert.Contains("--max-model-len=2048", main.Args);
        Assert.Contains(main.Env, e => e.Name == "TPU_CHIPS_PER_HOST_BOUNDS" && e.Value == "2,2,1");
        Assert.Contains(main.Env, e => e.Name == "PJRT_DEVICE" && e.Value == "TPU");
    }

    private static V1Deployment Scheduler(IEnumerable<object> objects) =>
        objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "qwen2-3b-pattern1-kserve-router-scheduler");

    private static string ArgValue(IList<string> args, string flag) => args[args.IndexOf(flag) + 1];

    private static void AssertSelectsVllmOnly(IEnumerable<object> objects, IDictionary<string, string> selector)
    {
        var matching = objects.OfType<V1Deployment>()
            .Where(d => selector.All(kv => d.Spec.Template.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            .Select(d => d.Metadata.Name);
        Assert.Equal(["qwen2-3b-pattern1-kserve"], matching);
    }

    private static void AssertServiceSelectsScheduler(IEnumerable<object> objects, string serviceName, int port)
    {
        var service = objects.OfType<V1Service>().Single(s => s.Metadata.Name == serviceName);
        var selected = objects.OfType<V1Deployment>()
            .Where(d => service.Spec.Selector.All(kv => d.Spec.Template.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            .ToList();
        var scheduler = Assert.Single(selected);
        Assert.Equal("qwen2-3b-pattern1-kserve-router-scheduler", scheduler.Metadata.Name);
        var servicePort = service.Spec.Ports.Single(p => p.Port == port);
        var containerPort = scheduler.Spec.Template.Spec.Containers.SelectMany(c => c.Ports)
            .Single(p => p.Name == servicePort.TargetPort.Value || p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) == servicePort.TargetPort.Value);
        Assert.Equal(9002, containerPort.ContainerPort);
    }
}
