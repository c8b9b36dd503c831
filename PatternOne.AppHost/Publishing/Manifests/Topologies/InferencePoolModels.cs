using System.Text.Json.Serialization;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

// Typed models of the Gateway API Inference Extension's InferencePool in its two API versions (field names as in the
// GIE v1.0.0 CRDs): the GA inference.networking.k8s.io/v1 and the older inference.networking.x-k8s.io/v1alpha2 that
// Istio 1.26 and KServe's controller still use.

/// <summary><c>InferencePool</c> inference.networking.k8s.io/v1.</summary>
public sealed class InferencePoolV1() : CustomResource<InferencePoolV1Spec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1", KubeGroup = "inference.networking.k8s.io", KubeKind = "InferencePool";
}

public sealed class InferencePoolV1Spec
{
    [JsonPropertyName("selector")] public InferencePoolLabelSelector Selector { get; set; } = new();
    [JsonPropertyName("targetPorts")] public IList<InferencePoolPort> TargetPorts { get; set; } = [];
    [JsonPropertyName("endpointPickerRef")] public EndpointPickerReference EndpointPickerRef { get; set; } = new();
}

/// <summary>v1's selector: <c>matchLabels</c> only (no expressions), same namespace as the pool.</summary>
public sealed class InferencePoolLabelSelector
{
    [JsonPropertyName("matchLabels")] public IDictionary<string, string> MatchLabels { get; set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
}

public sealed class InferencePoolPort
{
    [JsonPropertyName("number")] public int Number { get; set; }
}

/// <summary>The endpoint picker: a Service and its port (required for kind Service), and what to do when it fails.</summary>
public sealed class EndpointPickerReference
{
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Service";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("port")] public InferencePoolPort? Port { get; set; }

    /// <summary><c>FailOpen</c> or <c>FailClose</c> (the CRD's default).</summary>
    [JsonPropertyName("failureMode")] public string? FailureMode { get; set; }
}

/// <summary><c>InferencePool</c> inference.networking.x-k8s.io/v1alpha2.</summary>
public sealed class InferencePoolV1Alpha2() : CustomResource<InferencePoolV1Alpha2Spec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1alpha2", KubeGroup = "inference.networking.x-k8s.io", KubeKind = "InferencePool";
}

public sealed class InferencePoolV1Alpha2Spec
{
    /// <summary>v1alpha2's selector is a plain label map.</summary>
    [JsonPropertyName("selector")] public IDictionary<string, string> Selector { get; set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    [JsonPropertyName("targetPortNumber")] public int TargetPortNumber { get; set; }
    [JsonPropertyName("extensionRef")] public ExtensionReference ExtensionRef { get; set; } = new();
}

public sealed class ExtensionReference
{
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Service";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("portNumber")] public int? PortNumber { get; set; }
    [JsonPropertyName("failureMode")] public string? FailureMode { get; set; }
}
