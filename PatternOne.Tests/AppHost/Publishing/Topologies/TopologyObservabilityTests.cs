using System.Globalization;
using k8s.Models;
using PatternOne.AppHost.Publishing.Manifests;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// Cluster observability in every topology: each PodMonitoring selects exactly the pods of its component — ours, or
/// the ones Istio and KServe create (<see cref="ControllerPods"/>) — on a port those pods serve, with the scheme they
/// serve; the objects validate against the PodMonitoring CRD; the collectors' namespace is a publish parameter.
/// The drift tests keep the committed folders equal to a fresh publish, so these read the committed folders.
/// </summary>
public sealed class TopologyObservabilityTests
{
    public static TheoryData<PublishTopology, string, string, int, string, string?> Monitorings()
    {
        var data = new TheoryData<PublishTopology, string, string, int, string, string?>();
        foreach (var topology in Enum.GetValues<PublishTopology>())
        {
            // KServe's vLLM serves HTTPS (KServe's self-signed certificate); everything else is scraped over HTTP.
            data.Add(topology, "qwen2-3b-pattern1-vllm", "qwen2-3b-pattern1-kserve", 8000, "/metrics", topology == PublishTopology.KServe ? "https" : null);
            data.Add(topology, "qwen2-3b-pattern1-epp", "qwen2-3b-pattern1-kserve-router-scheduler", 9090, "/metrics", null);
            data.Add(topology, "inference-gateway", "inference-gateway-istio", 15090, "/stats/prometheus", null);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Monitorings))]
    public void PodMonitoring_SelectsExactlyItsWorkload_OnItsMetricsPort(
        PublishTopology topology, string monitoring, string workload, int port, string path, string? scheme)
    {
        var objects = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object).ToList();
        var podMonitoring = objects.OfType<PodMonitoring>().Single(m => m.Metadata.Name == monitoring);

        var selected = ControllerPods.Selected(ControllerPods.All(topology, objects), podMonitoring.Metadata.NamespaceProperty, podMonitoring.Spec.Selector.MatchLabels);
        Assert.Equal([workload], selected.Select(d => d.Metadata.Name));

        var endpoint = Assert.Single(podMonitoring.Spec.Endpoints);
        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), endpoint.Port.Value);
        Assert.Equal(path, endpoint.Path);
        Assert.Equal(scheme, endpoint.Scheme);
        // A self-signed serving certificate cannot be verified by the collector; nothing else skips verification.
        Assert.Equal(scheme == "https" ? true : null, endpoint.Tls?.InsecureSkipVerify);
        Assert.Contains(selected[0].Spec.Template.Spec.Containers.SelectMany(c => c.Ports ?? []), p => p.ContainerPort == port);
    }

    public static TheoryData<PublishTopology> AllTopologies => [.. Enum.GetValues<PublishTopology>()];

    [Theory]
    [MemberData(nameof(AllTopologies))]
    public void PodMonitorings_AreValidAgainstTheirCrd(PublishTopology topology)
    {
        var files = PublishRun.ReadFiles(PublishRun.CommittedOutputOf(topology))
            .Where(f => f.Key.StartsWith("observability/podmonitoring-", StringComparison.Ordinal)).ToList();

        Assert.Equal(3, files.Count);
        foreach (var (file, text) in files)
        {
            var document = Assert.Single(CrdSchemaValidator.ReadYaml(text));
            Assert.Empty(CrdSchemaValidator.Validate(document).Select(e => $"{file}: {e}"));
        }
    }

    [Theory]
    [MemberData(nameof(AllTopologies))]
    public void GrafanaDashboard_IsTheSameInEveryTopology(PublishTopology topology)
    {
        const string file = "observability/configmap-grafana-dashboard.yaml";

        Assert.Equal(PublishRun.ReadFiles(PublishRun.CommittedOutput)[file], PublishRun.ReadFiles(PublishRun.CommittedOutputOf(topology))[file]);
    }

    [Theory]
    [MemberData(nameof(AllTopologies))]
    public async Task GmpNamespace_IsWhereTheScrapePoliciesAdmitCollectorsFrom(PublishTopology topology)
    {
        using var run = await PublishRun.PublishAsync([PublishRun.TopologyArgument(topology), "Parameters:gmp-namespace=gke-gmp-system"]);

        var scrapePolicies = run.Objects().Select(o => o.Object).OfType<V1NetworkPolicy>()
            .Where(p => p.Metadata.Name.StartsWith("allow-gmp-scrape-", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, scrapePolicies.Count);
        Assert.All(scrapePolicies, p =>
        {
            var peer = Assert.Single(Assert.Single(p.Spec.Ingress).FromProperty);
            Assert.Equal("gke-gmp-system", peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
            Assert.Equal("collector", peer.PodSelector.MatchLabels["app.kubernetes.io/name"]);
        });
    }

    [Fact]
    public async Task GmpNamespace_ThatIsNoNamespaceName_WritesNothing()
    {
        using var run = await PublishRun.PublishAsync(["Parameters:gmp-namespace=GMP System"]);

        Assert.False(File.Exists(Path.Combine(run.Directory, "kustomization.yaml")));
    }
}
