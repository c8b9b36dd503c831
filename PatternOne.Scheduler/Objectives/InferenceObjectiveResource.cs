using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace PatternOne.Scheduler.Objectives;

/// <summary>
/// The parts of an <c>InferenceObjective</c> (group <c>llm-d.ai</c>, version <c>v1alpha2</c>, llm-d-router's CRD)
/// this scheduler reads: <c>spec.poolRef.name</c> and <c>spec.priority</c> (unset = 0).
/// </summary>
public sealed class InferenceObjectiveResource : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "llm-d.ai";
    public const string Version = "v1alpha2";
    public const string Plural = "inferenceobjectives";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Group}/{Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "InferenceObjective";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public InferenceObjectiveResourceSpec? Spec { get; set; }
}

public sealed class InferenceObjectiveResourceSpec
{
    [JsonPropertyName("poolRef")]
    public InferenceObjectivePoolRef? PoolRef { get; set; }

    [JsonPropertyName("priority")]
    public int? Priority { get; set; }
}

public sealed class InferenceObjectivePoolRef
{
    [JsonPropertyName("group")]
    public string? Group { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("name")]
    public string Name { get; set; } = "";
}

/// <summary>The list form, as the API returns it.</summary>
public sealed class InferenceObjectiveResourceList
{
    [JsonPropertyName("metadata")]
    public V1ListMeta? Metadata { get; set; }

    [JsonPropertyName("items")]
    public List<InferenceObjectiveResource> Items { get; set; } = [];
}
