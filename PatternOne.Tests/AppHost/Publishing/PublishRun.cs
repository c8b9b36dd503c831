using Aspire.Hosting.Testing;
using k8s;
using PatternOne.AppHost.Inference;
using PatternOne.AppHost.Publishing;
using PatternOne.AppHost.Publishing.Manifests;
using PatternOne.AppHost.Publishing.Manifests.Topologies;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>
/// Runs the real AppHost's publish pipeline in-process into a temporary folder (publish mode starts no DCP, no
/// process), optionally after changing the app model, and loads what it wrote.
/// </summary>
public sealed class PublishRun : IDisposable
{
    /// <summary>Types of the custom resources we write; built-in kinds resolve to KubernetesClient's models.</summary>
    public static readonly IDictionary<string, Type> CustomTypes = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [$"{CertManagerCertificate.KubeGroup}/{CertManagerCertificate.KubeApiVersion}/{CertManagerCertificate.KubeKind}"] = typeof(CertManagerCertificate),
        [$"{CertManagerClusterIssuer.KubeGroup}/{CertManagerClusterIssuer.KubeApiVersion}/{CertManagerClusterIssuer.KubeKind}"] = typeof(CertManagerClusterIssuer),
        [$"{GatewayApiGateway.KubeGroup}/{GatewayApiGateway.KubeApiVersion}/{GatewayApiGateway.KubeKind}"] = typeof(GatewayApiGateway),
        [$"{GatewayApiHttpRoute.KubeGroup}/{GatewayApiHttpRoute.KubeApiVersion}/{GatewayApiHttpRoute.KubeKind}"] = typeof(GatewayApiHttpRoute),
        [$"{InferencePoolV1.KubeGroup}/{InferencePoolV1.KubeApiVersion}/{InferencePoolV1.KubeKind}"] = typeof(InferencePoolV1),
        [$"{InferencePoolV1Alpha2.KubeGroup}/{InferencePoolV1Alpha2.KubeApiVersion}/{InferencePoolV1Alpha2.KubeKind}"] = typeof(InferencePoolV1Alpha2),
        [$"{IstioDestinationRule.KubeGroup}/{IstioDestinationRule.KubeApiVersion}/{IstioDestinationRule.KubeKind}"] = typeof(IstioDestinationRule),
        [$"{LlmInferenceService.KubeGroup}/{LlmInferenceService.KubeApiVersion}/{LlmInferenceService.KubeKind}"] = typeof(LlmInferenceService),
        [$"{PodMonitoring.KubeGroup}/{PodMonitoring.KubeApiVersion}/{PodMonitoring.KubeKind}"] = typeof(PodMonitoring),
    };

    private PublishRun(string directory) => Directory = directory;

    /// <summary>The output folder (deleted on dispose).</summary>
    public string Directory { get; }

    /// <summary>
    /// Publishes the AppHost with extra configuration <paramref name="args"/> (e.g. <c>Pool:Replicas=3</c>), after
    /// <paramref name="changeModel"/> has edited the app model the AppHost declared.
    /// </summary>
    public static async Task<PublishRun> PublishAsync(
        string[]? args = null, Action<VllmPoolResource>? changeModel = null, string? outputDirectory = null)
    {
        var directory = outputDirectory ?? Path.Combine(Path.GetTempPath(), "patternone-publish-" + Guid.NewGuid().ToString("N"));
        string[] all = ["AppHost:Operation=publish", "Pipeline:Step=publish", $"Pipeline:OutputPath={directory}", .. args ?? []];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PatternOne_AppHost>(all).WaitAsync(TestTimeouts.Publish);
        changeModel?.Invoke(builder.Resources.OfType<VllmPoolResource>().Single());
        await using var app = await builder.BuildAsync().WaitAsync(TestTimeouts.Publish);
        // In publish mode the pipeline runs and then stops the application.
        await app.RunAsync().WaitAsync(TestTimeouts.Publish);
        return new PublishRun(directory);
    }

    /// <summary>The committed <c>aspirate-output/</c> of this repository.</summary>
    public static string CommittedOutput => Path.Combine(RepositoryRoot(), "aspirate-output");

    /// <summary>The committed output folder of a topology (<c>aspirate-output</c>, <c>aspirate-output-istio</c>, …).</summary>
    public static string CommittedOutputOf(PublishTopology topology) =>
        Path.Combine(RepositoryRoot(), PublishTopologyNames.DefaultOutputFolder(topology));

    /// <summary>The publish parameter that selects <paramref name="topology"/>.</summary>
    public static string TopologyArgument(PublishTopology topology) =>
        $"Parameters:{PublishParameters.Topology}={topology.ToString().ToLowerInvariant()}";

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PatternOne.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No PatternOne.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Relative path (with '/') → file text, for every file below <paramref name="root"/> but dotfiles.</summary>
    public static SortedDictionary<string, string> ReadFiles(string root) => new(
        System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText),
        StringComparer.Ordinal);

    /// <summary>Every object of every manifest (all files but kustomizations), typed.</summary>
    public static IReadOnlyList<(string File, object Object)> LoadObjects(string root) =>
    [
        .. ReadFiles(root).Where(f => f.Key.EndsWith(".yaml", StringComparison.Ordinal) && !f.Key.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => KubernetesYaml.LoadAllFromString(f.Value, CustomTypes).Select(o => (f.Key, o))),
    ];

    public IReadOnlyList<(string File, object Object)> Objects() => LoadObjects(Directory);

    public T Single<T>(string name) => Objects().Select(o => o.Object).OfType<T>()
        .Single(o => o is IKubernetesObject<k8s.Models.V1ObjectMeta> m && m.Metadata.Name == name);

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
