using k8s;
using YamlDotNet.RepresentationModel;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>
/// Every committed manifest deserializes into KubernetesClient's typed models (our typed models for cert-manager)
/// and re-serializes to the same YAML tree. The models ignore unknown fields, so a misspelt or misplaced field comes
/// back missing and fails the comparison.
/// </summary>
public sealed class ManifestRoundTripTests
{
    public static TheoryData<string> ManifestFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in PublishRun.ReadFiles(PublishRun.CommittedOutput).Keys.Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)))
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public void Manifest_RoundTripsThroughTypedModels_WithoutLosingAField(string file)
    {
        var text = File.ReadAllText(Path.Combine(PublishRun.CommittedOutput, file));

        var objects = KubernetesYaml.LoadAllFromString(text, PublishRun.CustomTypes);

        var only = Assert.Single(objects);
        Assert.True(only.GetType().Namespace == "k8s.Models" || PublishRun.CustomTypes.Values.Contains(only.GetType()), $"{file}: untyped {only.GetType()}");
        AssertSameTree(Tree(text), Tree(KubernetesYaml.Serialize(only)), file);
    }

    [Fact]
    public void RoundTrip_DetectsAMisspeltField()
    {
        var text = File.ReadAllText(Path.Combine(PublishRun.CommittedOutput, "qwen2-3b-pattern1", "deployment.yaml"))
            .Replace("      nodeSelector:", "      nodeSelectr:", StringComparison.Ordinal);

        var typed = KubernetesYaml.LoadAllFromString(text, PublishRun.CustomTypes).Single();

        Assert.False(SameTree(Tree(text), Tree(KubernetesYaml.Serialize(typed))));
    }

    [Fact]
    public void Kustomizations_ListExactlyTheFilesBesideThem()
    {
        var root = PublishRun.CommittedOutput;
        var rootResources = Resources(Path.Combine(root, "kustomization.yaml"));
        Assert.Equal(
            Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            rootResources.Order(StringComparer.Ordinal));
        foreach (var folder in rootResources)
        {
            var directory = Path.Combine(root, folder!);
            Assert.Equal(
                Directory.GetFiles(directory).Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order(StringComparer.Ordinal),
                Resources(Path.Combine(directory, "kustomization.yaml")).Order(StringComparer.Ordinal));
        }
    }

    private static List<string?> Resources(string kustomization)
    {
        var map = (YamlMappingNode)Tree(File.ReadAllText(kustomization));
        Assert.Equal("Kustomization", ((YamlScalarNode)map["kind"]).Value);
        return [.. ((YamlSequenceNode)map["resources"]).Children.Select(n => ((YamlScalarNode)n).Value)];
    }

    private static YamlNode Tree(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return Assert.Single(stream.Documents).RootNode;
    }

    private static void AssertSameTree(YamlNode expected, YamlNode actual, string file) =>
        Assert.True(SameTree(expected, actual), $"{file}: re-serialized YAML differs:\n{Describe(expected)}\n---\n{Describe(actual)}");

    /// <summary>Structural equality: mappings by key (order-free), sequences in order, scalars by value (quoting ignored).</summary>
    private static bool SameTree(YamlNode a, YamlNode b) => (a, b) switch
    {
        (YamlScalarNode x, YamlScalarNode y) => x.Value == y.Value,
        (YamlSequenceNode x, YamlSequenceNode y) => x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => SameTree(p.First, p.Second)),
        (YamlMappingNode x, YamlMappingNode y) => x.Children.Count == y.Children.Count &&
            x.Children.All(kv => y.Children.TryGetValue(kv.Key, out var other) && SameTree(kv.Value, other)),
        _ => false,
    };

    private static string Describe(YamlNode node)
    {
        var stream = new YamlStream(new YamlDocument(node));
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }
}
