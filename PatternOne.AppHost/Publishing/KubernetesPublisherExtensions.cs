// ASPIREPIPELINES002: the deployment-state API is experimental in Aspire 13.6; we replace it, see StatelessDeploymentState.
#pragma warning disable ASPIREPIPELINES002

using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PatternOne.AppHost.Publishing.Manifests;
using PatternOne.AppHost.Publishing.Manifests.Topologies;
using PatternOne.AppHost.Publishing.Output;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing;

/// <summary>
/// The Kubernetes publisher: a step of Aspire's publish pipeline that turns the app model into the
/// <c>aspirate-output/</c> kustomize tree for GKE.
/// <code>
///  dotnet run --project PatternOne.AppHost -- --operation publish --step publish --output-path aspirate-output
///    app model + publish parameters ─▶ ClusterPlan ─▶ manifest folders ─▶ kustomize tree
/// </code>
/// Publish mode starts neither DCP nor any process, so this runs in seconds without Docker.
/// </summary>
public static partial class KubernetesPublisherExtensions
{
    /// <summary>Pipeline step name (<c>--step publish-kubernetes</c> runs it alone).</summary>
    public const string StepName = "publish-kubernetes";

    /// <summary>Aspirate's default output folder name.</summary>
    public const string DefaultOutputFolder = "aspirate-output";

    /// <summary>Aspire's key for <c>--output-path</c>.</summary>
    public const string OutputPathConfigurationKey = "Pipeline:OutputPath";

    /// <summary>
    /// Declares the publish parameters (<see cref="PublishParameters"/>) and adds the publish step. In run mode it
    /// adds nothing, so the dashboard stays free of cluster-only settings.
    /// </summary>
    public static IDistributedApplicationBuilder AddKubernetesPublisher(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsPublishMode)
        {
            return builder;
        }

        builder.Services.RemoveAll<IDeploymentStateManager>();
        builder.Services.AddSingleton<IDeploymentStateManager, StatelessDeploymentState>();

        foreach (var (name, fallback, description) in PublishParameters.All)
        {
            // The configured value (Parameters:<name>) wins over the default; a constant-valued parameter would
            // ignore configuration.
            var key = "Parameters:" + name;
            builder.AddParameter(name, () => builder.Configuration[key] is { Length: > 0 } value ? value : fallback, publishValueAsDefault: true)
                .WithDescription(description);
        }

        // Aspirate users expect aspirate-output/ at the repository root (the AppHost folder's parent). `dotnet run`
        // starts the AppHost in its project folder, so a relative --output-path is taken from the repository root
        // too, not from the process's working directory.
        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        builder.Pipeline.AddStep(StepName, context => PublishAsync(context, repositoryRoot),
            dependsOn: WellKnownPipelineSteps.PublishPrereq, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>The output folders of the plan's topology, in the order of the root kustomization.</summary>
    public static IReadOnlyList<ManifestFolder> BuildManifests(ClusterPlan plan)
    {
        IManifestComponent[] components = plan.Topology switch
        {
            PublishTopology.Istio =>
            [
                new NamespacesComponent(),
                new CertManagerComponent(),
                new VllmComponent(plan.Pool.Name),
                new SchedulerComponent(PublishTopology.Istio),
                new InferencePoolComponent(),
                new IstioGatewayComponent(),
                new InferenceRouteComponent(),
                new NetworkPoliciesComponent(),
                new ObservabilityComponent(),
            ],
            PublishTopology.KServe =>
            [
                new NamespacesComponent(),
                new CertManagerComponent(),
                new IstioGatewayComponent(),
                new SchedulerComponent(PublishTopology.KServe),
                new LlmInferenceServiceComponent(plan.Pool.Name),
                new NetworkPoliciesComponent(),
                new ObservabilityComponent(),
            ],
            _ =>
            [
                new NamespacesComponent(),
                new CertManagerComponent(),
                new VllmComponent(plan.Pool.Name),
                new SchedulerComponent(),
                new GatewayComponent(),
                new NetworkPoliciesComponent(),
                new ObservabilityComponent(),
            ],
        };
        return [.. components.Select(c => c.Build(plan))];
    }

    /// <summary>
    /// The folder to write: the topology's default folder (<c>aspirate-output</c>, <c>aspirate-output-istio</c>,
    /// <c>aspirate-output-kserve</c>) at the repository root, an absolute <c>--output-path</c> as given, a relative one
    /// under the repository root.
    /// </summary>
    public static string ResolveOutputDirectory(string? configured, string repositoryRoot, PublishTopology topology = PublishTopology.Standalone) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? PublishTopologyNames.DefaultOutputFolder(topology) : configured, repositoryRoot);

    private static async Task PublishAsync(PipelineStepContext context, string repositoryRoot)
    {
        var configured = context.Services.GetRequiredService<IConfiguration>()[OutputPathConfigurationKey];
        var plan = await ClusterPlanReader.ReadAsync(context.Model, context.CancellationToken);
        var output = ResolveOutputDirectory(configured, repositoryRoot, plan.Topology);
        var files = KustomizeWriter.Write(output, BuildManifests(plan));

        LogWritten(context.Logger, files.Count, output, plan.Topology, plan.Pool.Name, plan.Pool.Replicas);
        context.Summary.Add("Kubernetes manifests", output);
        context.Summary.Add("Deploy", $"kubectl apply -k {output}");
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information,
        Message = "Wrote {FileCount} Kubernetes manifest files to {OutputDirectory} (topology {Topology}, pool {Pool}, {Replicas} replicas)")]
    private static partial void LogWritten(ILogger logger, int fileCount, string outputDirectory, PublishTopology topology, string pool, int replicas);
}
