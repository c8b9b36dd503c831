using System.Text.Json.Serialization;
using k8s.Models;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// KServe <c>LLMInferenceService</c> (serving.kserve.io/v1alpha1; field names as in the CRD of opendatahub-io/kserve
/// release-v0.15, identical to kserve v0.16.0). Only the fields we write are modelled; pod templates are
/// KubernetesClient's <see cref="V1PodSpec"/>.
/// </summary>
public sealed class LlmInferenceService() : CustomResource<LlmInferenceServiceSpec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1alpha1", KubeGroup = "serving.kserve.io", KubeKind = "LLMInferenceService";
}

public sealed class LlmInferenceServiceSpec
{
    [JsonPropertyName("model")] public LlmModelSpec Model { get; set; } = new();
    [JsonPropertyName("replicas")] public int? Replicas { get; set; }
    [JsonPropertyName("router")] public RouterSpec? Router { get; set; }

    /// <summary>The main (vLLM) pod; its container must be named <c>main</c> to merge with the preset's.</summary>
    [JsonPropertyName("template")] public V1PodSpec? Template { get; set; }
}

public sealed class LlmModelSpec
{
    /// <summary><c>hf://org/model</c>: the controller adds the storage-initializer that downloads it.</summary>
    [JsonPropertyName("uri")] public string Uri { get; set; } = "";

    /// <summary>Served model name.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
}

public sealed class RouterSpec
{
    /// <summary><c>{}</c>: the controller writes the HTTPRoute from its preset.</summary>
    [JsonPropertyName("route")] public ManagedRoute? Route { get; set; }
    [JsonPropertyName("gateway")] public GatewaySelection? Gateway { get; set; }
    [JsonPropertyName("scheduler")] public SchedulerSpec? Scheduler { get; set; }
}

/// <summary>
/// The HTTPRoute the controller writes: <c>{}</c> = its preset's rules; <c>http.spec</c> = ours instead (the
/// controller still writes and owns the HTTPRoute, and sets its parentRefs from <c>router.gateway.refs</c>).
/// </summary>
public sealed class ManagedRoute
{
    [JsonPropertyName("http")] public ManagedHttpRoute? Http { get; set; }
}

public sealed class ManagedHttpRoute
{
    [JsonPropertyName("spec")] public InlineHttpRouteSpec? Spec { get; set; }
}

/// <summary>An HTTPRouteSpec without parentRefs (KServe's webhook refuses them together with gateway refs).</summary>
public sealed class InlineHttpRouteSpec
{
    [JsonPropertyName("rules")] public IList<HttpRouteRule> Rules { get; set; } = [];
}

public sealed class GatewaySelection
{
    [JsonPropertyName("refs")] public IList<UntypedObjectReference> Refs { get; set; } = [];
}

public sealed class UntypedObjectReference
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
}

/// <summary>The endpoint picker: the controller creates pool, Service, RBAC and Deployment; the template overrides its pod.</summary>
public sealed class SchedulerSpec
{
    [JsonPropertyName("template")] public V1PodSpec? Template { get; set; }
}
