namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>One folder of the output (Aspirate's layout: a folder per resource with its own kustomization).</summary>
/// <param name="Name">Folder name under the output root, e.g. <c>scheduler</c>.</param>
/// <param name="Files">The objects, one per file, in the order the folder's kustomization lists them.</param>
public sealed record ManifestFolder(string Name, IReadOnlyList<ManifestFile> Files);

/// <summary>One Kubernetes object and the file it is written to.</summary>
/// <param name="FileName">File name inside its folder, e.g. <c>deployment.yaml</c>.</param>
/// <param name="Object">A KubernetesClient model (or a typed custom-resource model) serialized with <c>KubernetesYaml</c>.</param>
public sealed record ManifestFile(string FileName, object Object);

/// <summary>Produces the objects of one output folder from the cluster plan.</summary>
public interface IManifestComponent
{
    /// <summary>Folder name under the output root.</summary>
    string Folder { get; }

    ManifestFolder Build(Plan.ClusterPlan plan);
}
