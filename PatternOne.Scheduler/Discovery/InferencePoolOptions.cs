using PatternOne.Scheduler.Objectives;

namespace PatternOne.Scheduler.Discovery;

/// <summary>How endpoints are found.</summary>
public enum DiscoveryMode
{
    /// <summary>A fixed list from configuration (<c>InferencePool:Endpoints:0..n</c>); what Aspire wires locally.</summary>
    Static,

    /// <summary>Ready pods matching <c>InferencePool:Selector</c> in <c>InferencePool:Namespace</c>, watched live (upstream's <c>--endpoint-selector</c>).</summary>
    Kubernetes,

    /// <summary>
    /// The InferencePool object <c>InferencePool:Name</c> in <c>InferencePool:Group</c> (upstream's <c>--pool-name</c>):
    /// its selector and target ports, followed live, choose the pods.
    /// </summary>
    InferencePool,
}

/// <summary>The pool this scheduler picks from (InferencePool semantics), bound from section <c>InferencePool</c>.</summary>
public sealed class InferencePoolOptions
{
    public const string SectionName = "InferencePool";

    /// <summary>The GA InferencePool API group (<c>v1</c>), upstream's default <c>--pool-group</c>.</summary>
    public const string GroupV1 = "inference.networking.k8s.io";

    /// <summary>The experimental group (<c>v1alpha2</c>) KServe's controller and Istio 1.26 use.</summary>
    public const string GroupV1Alpha2 = "inference.networking.x-k8s.io";

    /// <summary>
    /// Pool name, used as the <c>name</c> label of the pool metrics and, with <see cref="DiscoveryMode.InferencePool"/>,
    /// the InferencePool object to read. Default <c>qwen2-3b-pattern1</c>.
    /// </summary>
    public string Name { get; set; } = "qwen2-3b-pattern1";

    /// <summary><see cref="DiscoveryMode.Static"/> (default) or <see cref="DiscoveryMode.Kubernetes"/>.</summary>
    public DiscoveryMode Discovery { get; set; } = DiscoveryMode.Static;

    /// <summary>Static endpoints as <c>host:port</c> (locally <c>127.0.0.1:&lt;port&gt;</c>).</summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>Namespace of the pods (Kubernetes). Default: the scheduler's own namespace when in a cluster, else <c>default</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>Where a pod finds its own namespace (the service account mount).</summary>
    private const string InClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    /// <summary><see cref="Namespace"/>, else the scheduler's own namespace in a cluster, else <c>default</c>.</summary>
    public string EffectiveNamespace => Namespace is { Length: > 0 } ns
        ? ns
        : File.Exists(InClusterNamespaceFile) ? File.ReadAllText(InClusterNamespaceFile).Trim() : "default";

    /// <summary>Label selector of the pool's pods, <c>InferencePool:Selector:&lt;label&gt;=&lt;value&gt;</c> (Kubernetes).</summary>
    public Dictionary<string, string> Selector { get; set; } = [];

    /// <summary>The model server port on each pod (InferencePool <c>targetPorts[0]</c>). Default 8000.</summary>
    public int TargetPort { get; set; } = 8000;

    /// <summary>Several model server ports per pod (<c>--endpoint-target-ports</c>); when set, replaces <see cref="TargetPort"/>.</summary>
    public List<int> TargetPorts { get; set; } = [];

    /// <summary>API group of the InferencePool object (<c>--pool-group</c>). Default <see cref="GroupV1"/>.</summary>
    public string Group { get; set; } = GroupV1;

    /// <summary>The pool's selection when it comes from configuration rather than from an InferencePool object.</summary>
    public PoolSelection ConfiguredSelection() =>
        new(new Dictionary<string, string>(Selector, StringComparer.Ordinal), TargetPorts.Count > 0 ? [.. TargetPorts] : [TargetPort]);

    /// <summary>
    /// Inference objectives by name, <c>InferencePool:Objectives:&lt;name&gt;:Priority</c> (e.g. <c>batch</c> at -1 to make
    /// it sheddable). With Kubernetes discovery the pool's InferenceObjective objects are added to these.
    /// </summary>
    public Dictionary<string, InferenceObjectiveSpec> Objectives { get; set; } = new(StringComparer.Ordinal);
}
