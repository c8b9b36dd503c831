using System.Net;
using k8s.Models;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>Something that sends or receives a connection: a pod (namespace, labels, ports) or an external address.</summary>
public sealed record NetworkEndpoint(
    string Name, string? Namespace, IReadOnlyDictionary<string, string> Labels, IPAddress Ip, IReadOnlyList<V1ContainerPort> Ports)
{
    public bool IsPod => Namespace is not null;

    public static NetworkEndpoint External(string name, string ip) =>
        new(name, null, new Dictionary<string, string>(), IPAddress.Parse(ip), []);

    public static NetworkEndpoint Pod(string name, string ns, IDictionary<string, string> labels, string ip, params V1ContainerPort[] ports) =>
        new(name, ns, new Dictionary<string, string>(labels), IPAddress.Parse(ip), ports);

    public override string ToString() => Name;
}

/// <summary>
/// Evaluates Kubernetes NetworkPolicy semantics (networking.k8s.io/v1, as the kubernetes.io concepts page states
/// them) for one connection:
/// <list type="number">
/// <item>a pod is isolated for a direction when a policy in its namespace selects it and lists that direction in
/// policyTypes; a non-isolated direction allows everything;</item>
/// <item>an isolated direction allows a connection when any rule of any selecting policy matches both peer and port
/// (rules are additive, no order, no deny rules);</item>
/// <item>a connection needs the sender's egress and the receiver's ingress; external addresses have no policies;</item>
/// <item>a peer: ipBlock matches addresses (cidr minus except); podSelector alone means the policy's namespace;
/// namespaceSelector and podSelector in one peer are ANDed; empty selectors match everything;</item>
/// <item>a port: protocol defaults to TCP, no port means every port, a named port resolves on the receiving pod,
/// endPort makes a range; a rule without ports allows all ports, without peers all peers.</item>
/// </list>
/// Node-originated traffic (kubelet probes) is always allowed by Kubernetes and is not modelled.
/// </summary>
public sealed class NetworkPolicyEvaluator(IReadOnlyList<V1NetworkPolicy> policies)
{
    private const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    public bool Allows(NetworkEndpoint from, NetworkEndpoint to, int port, string protocol) =>
        EgressAllows(from, to, port, protocol) && IngressAllows(from, to, port, protocol);

    private bool EgressAllows(NetworkEndpoint from, NetworkEndpoint to, int port, string protocol) =>
        SideAllows(from, "Egress", p => (p.Spec.Egress ?? []).Select(rule => (rule.To, rule.Ports)), to, to, port, protocol);

    private bool IngressAllows(NetworkEndpoint from, NetworkEndpoint to, int port, string protocol) =>
        SideAllows(to, "Ingress", p => (p.Spec.Ingress ?? []).Select(rule => (rule.FromProperty, rule.Ports)), from, to, port, protocol);

    /// <summary>
    /// One side of a connection: an external address, or a pod no policy of this direction selects, is not restricted;
    /// otherwise some rule of a selecting policy must match the other side (<paramref name="peer"/>) and the port.
    /// </summary>
    private bool SideAllows(
        NetworkEndpoint pod,
        string direction,
        Func<V1NetworkPolicy, IEnumerable<(IList<V1NetworkPolicyPeer> Peers, IList<V1NetworkPolicyPort> Ports)>> rules,
        NetworkEndpoint peer,
        NetworkEndpoint to,
        int port,
        string protocol)
    {
        if (!pod.IsPod)
        {
            return true;
        }

        var selecting = Selecting(pod, direction).ToList();
        return selecting.Count == 0 || selecting.Any(p => rules(p).Any(rule =>
            PeersMatch(rule.Peers, p.Metadata.NamespaceProperty, peer) && PortsMatch(rule.Ports, to, port, protocol)));
    }

    private IEnumerable<V1NetworkPolicy> Selecting(NetworkEndpoint pod, string direction) => policies.Where(p =>
        p.Metadata.NamespaceProperty == pod.Namespace &&
        SelectorMatches(p.Spec.PodSelector, pod.Labels) &&
        EffectiveTypes(p).Contains(direction));

    private static IEnumerable<string> EffectiveTypes(V1NetworkPolicy policy) =>
        policy.Spec.PolicyTypes is { Count: > 0 } types
            ? types
            : policy.Spec.Egress is { Count: > 0 } ? ["Ingress", "Egress"] : ["Ingress"];

    private static bool PeersMatch(IList<V1NetworkPolicyPeer>? peers, string policyNamespace, NetworkEndpoint endpoint) =>
        peers is not { Count: > 0 } || peers.Any(peer => PeerMatches(peer, policyNamespace, endpoint));

    private static bool PeerMatches(V1NetworkPolicyPeer peer, string policyNamespace, NetworkEndpoint endpoint)
    {
        if (peer.IpBlock is { } block)
        {
            return InCidr(endpoint.Ip, block.Cidr) && !(block.Except ?? []).Any(e => InCidr(endpoint.Ip, e));
        }

        if (!endpoint.IsPod)
        {
            // Selectors select pods, never external addresses (the seed's namespaceSelector: {} mistake).
            return false;
        }

        var namespaceMatches = peer.NamespaceSelector is null
            ? endpoint.Namespace == policyNamespace
            : SelectorMatches(peer.NamespaceSelector, new Dictionary<string, string> { [NamespaceNameLabel] = endpoint.Namespace! });
        return namespaceMatches && (peer.PodSelector is null || SelectorMatches(peer.PodSelector, endpoint.Labels));
    }

    private static bool PortsMatch(IList<V1NetworkPolicyPort>? ports, NetworkEndpoint to, int port, string protocol) =>
        ports is not { Count: > 0 } || ports.Any(p =>
        {
            if ((p.Protocol ?? "TCP") != protocol)
            {
                return false;
            }

            if (p.Port is null)
            {
                return true;
            }

            var value = p.Port.Value;
            if (int.TryParse(value, out var number))
            {
                return p.EndPort is { } end ? port >= number && port <= end : port == number;
            }

            // A named port means the receiving pod's container port of that name and protocol.
            return to.Ports.Any(cp => cp.Name == value && cp.ContainerPort == port && (cp.Protocol ?? "TCP") == protocol);
        });

    public static bool SelectorMatches(V1LabelSelector? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }

        var matchLabels = (selector.MatchLabels ?? new Dictionary<string, string>())
            .All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
        var matchExpressions = (selector.MatchExpressions ?? []).All(e =>
        {
            var has = labels.TryGetValue(e.Key, out var v);
            return e.OperatorProperty switch
            {
                "In" => has && e.Values.Contains(v!),
                "NotIn" => !has || !e.Values.Contains(v!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => throw new InvalidOperationException($"Unknown selector operator '{e.OperatorProperty}'."),
            };
        });
        return matchLabels && matchExpressions;
    }

    private static bool InCidr(IPAddress address, string cidr) => IPNetwork.Parse(cidr).Contains(address);
}
