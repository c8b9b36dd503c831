using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// No selector of a published object selects nothing: a NetworkPolicy that selects no pod protects nothing (or lets
/// nothing through), a PodMonitoring or Service that selects no pod is silently empty. Checked against the pods each
/// topology runs, including the ones Istio and KServe create (<see cref="ControllerPods"/>) — the cross-check an
/// offline validator cannot make on the istio and kserve folders alone.
/// </summary>
public sealed class SelectorCoverageTests
{
    private const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    public static TheoryData<PublishTopology> AllTopologies => [.. Enum.GetValues<PublishTopology>()];

    [Theory]
    [MemberData(nameof(AllTopologies))]
    public void EverySelector_SelectsAPodOfTheTopology(PublishTopology topology)
    {
        var objects = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object).ToList();
        var pods = ControllerPods.All(topology, objects);
        var ours = objects.OfType<V1Namespace>().Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        List<string> empty = [];

        void Check(string what, string ns, V1LabelSelector? selector)
        {
            // An empty selector means every pod (default-deny, DNS for all): nothing to cover.
            if (selector?.MatchLabels is { Count: > 0 } labels && ControllerPods.Selected(pods, ns, labels).Count == 0)
            {
                empty.Add($"{what} ({ns}: {string.Join(",", labels.Select(l => l.Key + "=" + l.Value))})");
            }
        }

        foreach (var policy in objects.OfType<V1NetworkPolicy>())
        {
            var ns = policy.Metadata.NamespaceProperty;
            Check($"NetworkPolicy {policy.Metadata.Name} podSelector", ns, policy.Spec.PodSelector);
            var peers = (policy.Spec.Ingress ?? []).SelectMany(r => r.FromProperty ?? [])
                .Concat((policy.Spec.Egress ?? []).SelectMany(r => r.To ?? []));
            foreach (var peer in peers.Where(p => p.PodSelector is not null))
            {
                // Peers in namespaces this topology owns; kube-dns, istiod and the collectors belong to the cluster.
                var peerNs = peer.NamespaceSelector?.MatchLabels?.TryGetValue(NamespaceNameLabel, out var name) == true ? name : ns;
                if (ours.Contains(peerNs))
                {
                    Check($"NetworkPolicy {policy.Metadata.Name} peer", peerNs, peer.PodSelector);
                }
            }
        }

        foreach (var service in objects.OfType<V1Service>())
        {
            Check($"Service {service.Metadata.Name}", service.Metadata.NamespaceProperty, new V1LabelSelector { MatchLabels = service.Spec.Selector });
        }

        foreach (var monitoring in objects.OfType<PatternOne.AppHost.Publishing.Manifests.PodMonitoring>())
        {
            Check($"PodMonitoring {monitoring.Metadata.Name}", monitoring.Metadata.NamespaceProperty, monitoring.Spec.Selector);
        }

        Assert.NotEmpty(ours);
        Assert.Empty(empty);
    }

    [Fact]
    public void WithoutTheControllersPods_TheIstioAndKServeFoldersLeaveSelectorsEmpty()
    {
        // The stand-ins are what makes the check pass there: the folders alone contain no Istio gateway pod.
        foreach (var topology in new[] { PublishTopology.Istio, PublishTopology.KServe })
        {
            var objects = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object).ToList();
            var gatewayPolicy = objects.OfType<V1NetworkPolicy>().Single(p => p.Metadata.Name == "allow-internet-to-gateway");

            Assert.Empty(ControllerPods.Selected(objects.OfType<V1Deployment>(), gatewayPolicy.Metadata.NamespaceProperty, gatewayPolicy.Spec.PodSelector.MatchLabels));
            Assert.NotEmpty(ControllerPods.Selected(ControllerPods.All(topology, objects), gatewayPolicy.Metadata.NamespaceProperty, gatewayPolicy.Spec.PodSelector.MatchLabels));
        }
    }
}
