using System.Text.Json.Nodes;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// Every custom resource the Istio and KServe topologies write validates strictly against its upstream CRD schema
/// (Gateway API v1.3.0, InferencePool v1 and v1alpha2, LLMInferenceService, Istio DestinationRule, cert-manager).
/// </summary>
public sealed class TopologySchemaTests
{
    /// <summary>Kinds KubernetesClient models (validated by their typed models and the standalone tests).</summary>
    private static readonly HashSet<string> s_builtInGroups = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1"];

    public static TheoryData<PublishTopology> Topologies => [PublishTopology.Istio, PublishTopology.KServe];

    [Theory]
    [MemberData(nameof(Topologies))]
    public void CommittedCustomResources_MatchTheirCrdSchemas(PublishTopology topology)
    {
        var documents = CustomResources(PublishRun.CommittedOutputOf(topology));

        Assert.NotEmpty(documents);
        foreach (var (file, document) in documents)
        {
            Assert.True(CrdSchemaValidator.Has(document["apiVersion"]!.GetValue<string>(), document["kind"]!.GetValue<string>()),
                $"{file}: no upstream schema in the fixtures for {document["apiVersion"]} {document["kind"]}");
            var errors = CrdSchemaValidator.Validate(document);
            Assert.True(errors.Count == 0, $"{file}:\n{string.Join('\n', errors)}");
        }
    }

    [Fact]
    public async Task V1Alpha2Pool_MatchesItsCrdSchema()
    {
        using var run = await PublishRun.PublishAsync([PublishRun.TopologyArgument(PublishTopology.Istio), "Parameters:inference-pool-api=v1alpha2"]);

        var pool = CustomResources(run.Directory).Single(d => d.Document["kind"]!.GetValue<string>() == "InferencePool").Document;
        Assert.Equal("inference.networking.x-k8s.io/v1alpha2", pool["apiVersion"]!.GetValue<string>());
        Assert.Empty(CrdSchemaValidator.Validate(pool));
    }

    [Theory]
    [InlineData("spec.router.schedular", "serving.kserve.io/v1alpha1", "LLMInferenceService")]
    [InlineData("spec.listeners.0.protocl", "gateway.networking.k8s.io/v1", "Gateway")]
    [InlineData("spec.endpointPickerRef.failureMode=Sometimes", "inference.networking.k8s.io/v1", "InferencePool")]
    [InlineData("spec.trafficPolicy.tls.mode=Simple", "networking.istio.io/v1", "DestinationRule")]
    public void Validator_RejectsTyposAndBadEnums(string mutation, string apiVersion, string kind)
    {
        var (_, document) = AllCustomResources().First(d =>
            d.Document["apiVersion"]!.GetValue<string>() == apiVersion && d.Document["kind"]!.GetValue<string>() == kind);
        var broken = document.DeepClone();
        Mutate(broken, mutation);

        Assert.NotEmpty(CrdSchemaValidator.Validate(broken));
    }

    private static IEnumerable<(string File, JsonNode Document)> AllCustomResources() =>
        CustomResources(PublishRun.CommittedOutputOf(PublishTopology.Istio)).Concat(CustomResources(PublishRun.CommittedOutputOf(PublishTopology.KServe)));

    private static List<(string File, JsonNode Document)> CustomResources(string root) =>
    [
        .. PublishRun.ReadFiles(root)
            .Where(f => f.Key.EndsWith(".yaml", StringComparison.Ordinal) && !f.Key.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => CrdSchemaValidator.ReadYaml(f.Value).Select(d => (f.Key, d)))
            .Where(d => !s_builtInGroups.Contains(d.d["apiVersion"]!.GetValue<string>())),
    ];

    /// <summary>"a.b.0.c" renames the last key to c (a typo); "a.b.c=v" sets a value.</summary>
    private static void Mutate(JsonNode document, string mutation)
    {
        var (path, value) = mutation.Split('=') is [var p, var v] ? (p, v) : (mutation, null);
        var segments = path.Split('.');
        JsonNode node = document;
        foreach (var segment in segments[..^1])
        {
            node = int.TryParse(segment, out var index) ? node[index]! : node[segment]!;
        }

        var last = segments[^1];
        if (value is not null)
        {
            node[last] = value;
            return;
        }

        // A typo: the real key's value under a misspelt name (schedular/scheduler, protocl/protocol).
        var obj = node.AsObject();
        var real = obj.Select(kv => kv.Key).First(k => k != last && Similar(k, last));
        var moved = obj[real]!.DeepClone();
        obj.Remove(real);
        obj[last] = moved;
    }

    private static bool Similar(string a, string b) => a.Length >= 6 && b.Length >= 6 && a[..5] == b[..5];
}
