using k8s;
using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// The pods a topology runs, whoever creates them: the Deployments of its published folder, plus test-only stand-ins
/// (<c>Fixtures/controller-pods/</c>) for the ones Istio (the gateway) and KServe (vLLM, the scheduler) create, with
/// the labels and ports those controllers give them. Selectors of the published objects are checked against these.
/// </summary>
public static class ControllerPods
{
    public const string IstioGatewayFile = "istio-gateway.yaml";
    public const string KServeFile = "kserve-llminferenceservice.yaml";

    /// <summary>The stand-in files for what <paramref name="topology"/> leaves to controllers.</summary>
    public static IReadOnlyList<string> FilesFor(PublishTopology topology) => topology switch
    {
        PublishTopology.Istio => [IstioGatewayFile],
        PublishTopology.KServe => [IstioGatewayFile, KServeFile],
        _ => [],
    };

    public static string FixturePath(string file) =>
        Path.Combine(AppContext.BaseDirectory, "AppHost", "Publishing", "Fixtures", "controller-pods", file);

    /// <summary>The stand-ins of <paramref name="topology"/>.</summary>
    public static IReadOnlyList<V1Deployment> StandIns(PublishTopology topology) =>
        [.. FilesFor(topology).SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(FixturePath(f)))).Cast<V1Deployment>()];

    /// <summary>The published Deployments of <paramref name="objects"/> and the stand-ins; a name is never in both.</summary>
    public static IReadOnlyList<V1Deployment> All(PublishTopology topology, IEnumerable<object> objects)
    {
        var published = objects.OfType<V1Deployment>().ToList();
        var standIns = StandIns(topology);
        var clash = published.Select(d => d.Metadata.Name).Intersect(standIns.Select(d => d.Metadata.Name)).ToList();
        return clash.Count == 0
            ? [.. published, .. standIns]
            : throw new InvalidOperationException($"{topology} publishes {string.Join(", ", clash)} itself; its stand-in is wrong.");
    }

    /// <summary>The Deployments in <paramref name="ns"/> whose pod template <paramref name="matchLabels"/> selects.</summary>
    public static IReadOnlyList<V1Deployment> Selected(IEnumerable<V1Deployment> deployments, string ns, IDictionary<string, string> matchLabels) =>
        [.. deployments.Where(d => d.Metadata.NamespaceProperty == ns
            && matchLabels.All(l => d.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value))];

    /// <summary>A pod of <paramref name="deployment"/> as the NetworkPolicy evaluator sees it.</summary>
    public static NetworkEndpoint Pod(string name, V1Deployment deployment, string ip) =>
        NetworkEndpoint.Pod(name, deployment.Metadata.NamespaceProperty, deployment.Spec.Template.Metadata.Labels, ip,
            [.. deployment.Spec.Template.Spec.Containers.SelectMany(c => c.Ports ?? [])]);
}
