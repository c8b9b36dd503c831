using PatternOne.Scheduler.Objectives;

namespace PatternOne.Scheduler.Discovery;

/// <summary>How endpoints are found.</summary>
public enum DiscoveryMode
{
    /// <summary>A fixed list from configuration (<c>InferencePool:Endpoints:0..n</c>); what Aspire wires locally.</summary>
    Static,

    /// <summary>Ready pods matching <c>InferencePool:Selector</c> in <c>InferencePool:Namespace</c>, watched live.</summary>
    Kubernetes,
}

/// <summary>The pool this scheduler picks from (InferencePool semantics), bound from section <c>InferencePool</c>.</summary>
public sealed class InferencePoolOptions
{
    public const string SectionName = "InferencePool";

    /// <summary>Pool name, used as the <c>name</c> label of the pool metrics. Default <c>qwen2-3b-pattern1</c>.</summary>
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

    /// <summary>
    /// Inference objectives by name, <c>InferencePool:Objectives:&lt;name&gt;:Priority</c> (e.g. <c>batch</c> at -1 to make
    /// it sheddable). With Kubernetes discovery the pool's InferenceObjective objects are added to these.
    /// </summary>
    public Dictionary<string, InferenceObjectiveSpec> Objectives { get; set; } = new(StringComparer.Ordinal);
}
