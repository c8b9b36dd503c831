using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The envelope of a custom resource we write (apiVersion, kind, metadata, spec). KubernetesClient has no models for
/// CRDs; typed models beat dictionaries here because a misspelt property fails to compile. Each subclass keeps its own
/// <c>KubeGroup</c>/<c>KubeApiVersion</c>/<c>KubeKind</c> constants, KubernetesClient's convention for its models.
/// </summary>
/// <typeparam name="TSpec">The resource's spec model (field names as in its CRD).</typeparam>
public abstract class CustomResource<TSpec>(string group, string version, string kind) : IKubernetesObject<V1ObjectMeta>
    where TSpec : new()
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = group + "/" + version;
    [JsonPropertyName("kind")] public string Kind { get; set; } = kind;
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public TSpec Spec { get; set; } = new();
}
