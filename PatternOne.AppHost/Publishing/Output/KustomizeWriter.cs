using System.Text;
using k8s;
using PatternOne.AppHost.Publishing.Manifests;

namespace PatternOne.AppHost.Publishing.Output;

/// <summary>
/// Writes manifest folders in Aspirate's kustomize layout (what <c>aspirate generate</c> writes, github.com/prom3theu5/aspirational-manifests):
/// <code>
///  &lt;output&gt;/kustomization.yaml            resources: [every folder]
///  &lt;output&gt;/&lt;folder&gt;/kustomization.yaml   resources: [its files]
///  &lt;output&gt;/&lt;folder&gt;/&lt;object&gt;.yaml        one object per file
/// </code>
/// Like Aspirate it wipes what it generated before (every sub-folder holding a kustomization.yaml, and the root
/// kustomization) so that removed objects disappear; other files in the output folder are left alone.
/// Output is deterministic: same plan, same bytes (LF line endings, no timestamps).
/// </summary>
public static class KustomizeWriter
{
    public const string KustomizationFile = "kustomization.yaml";

    public static IReadOnlyList<string> Write(string outputDirectory, IReadOnlyList<ManifestFolder> folders)
    {
        Directory.CreateDirectory(outputDirectory);
        Clean(outputDirectory);

        List<string> written = [];
        foreach (var folder in folders)
        {
            var directory = Path.Combine(outputDirectory, folder.Name);
            Directory.CreateDirectory(directory);
            foreach (var file in folder.Files)
            {
                written.Add(WriteText(Path.Combine(directory, file.FileName), Serialize(file.Object)));
            }

            written.Add(WriteText(Path.Combine(directory, KustomizationFile), Kustomization([.. folder.Files.Select(f => f.FileName)])));
        }

        written.Add(WriteText(Path.Combine(outputDirectory, KustomizationFile), Kustomization([.. folders.Select(f => f.Name)])));
        return written;
    }

    /// <summary>One object as YAML with KubernetesClient's serializer (its field names, quantities and int-or-strings).</summary>
    public static string Serialize(object value) => Normalize(KubernetesYaml.Serialize(value));

    private static string Kustomization(IReadOnlyList<string> resources)
    {
        var text = new StringBuilder()
            .Append("apiVersion: kustomize.config.k8s.io/v1beta1\n")
            .Append("kind: Kustomization\n")
            .Append("resources:\n");
        foreach (var resource in resources)
        {
            text.Append("- ").Append(resource).Append('\n');
        }

        return text.ToString();
    }

    private static void Clean(string outputDirectory)
    {
        foreach (var directory in Directory.GetDirectories(outputDirectory))
        {
            if (File.Exists(Path.Combine(directory, KustomizationFile)))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        File.Delete(Path.Combine(outputDirectory, KustomizationFile));
    }

    private static string WriteText(string path, string text)
    {
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    private static string Normalize(string yaml)
    {
        var text = yaml.ReplaceLineEndings("\n");
        return text.EndsWith('\n') ? text : text + "\n";
    }
}
