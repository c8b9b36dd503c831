using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// The <c>HTTPRoute</c> KServe would generate, in the seed's single-rule shape: the app model's path prefix on the
/// <c>inference-gateway</c>, rewritten to <c>/</c> (<c>ReplacePrefixMatch</c>), to the InferencePool.
/// <code>
///  /llm-d-inference-scheduling/qwen2-3b-pattern1/v1/chat/completions ─▶ /v1/chat/completions ─▶ pool (EPP picks the pod)
/// </code>
/// </summary>
internal sealed class InferenceRouteComponent : IManifestComponent
{
    public const string FolderName = "route";

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan) => new(Folder, [new ManifestFile("httproute.yaml", Route(plan))]);

    /// <summary>
    /// Gateway API prefixes match whole path segments, and the trailing '/' of the app model's prefix would make
    /// <c>ReplacePrefixMatch: /</c> ambiguous; the route uses the prefix without it (the bare prefix path also matches).
    /// </summary>
    internal static string PathPrefix(ClusterPlan plan) => plan.Gateway.RoutePrefix.TrimEnd('/');

    private static GatewayApiHttpRoute Route(ClusterPlan plan)
    {
        var poolGroup = EndpointPickerArgs.PoolGroupOf(plan.PoolApi);
        return new GatewayApiHttpRoute
        {
            Metadata = new V1ObjectMeta
            {
                Name = ClusterNames.Route(plan.Pool.Name),
                NamespaceProperty = plan.Pool.Namespace,
                Labels = ClusterLabels.Scheduler(plan.Pool.Name),
            },
            Spec = new HttpRouteSpec
            {
                ParentRefs =
                [
                    new ParentReference
                    {
                        Group = GatewayApiGateway.KubeGroup,
                        Kind = GatewayApiGateway.KubeKind,
                        Name = ClusterNames.GatewayName,
                        Namespace = plan.Gateway.Namespace,
                    },
                ],
                Rules =
                [
                    new HttpRouteRule
                    {
                        Matches = [new HttpRouteMatch { Path = new HttpPathMatch { Type = "PathPrefix", Value = PathPrefix(plan) } }],
                        Filters =
                        [
                            new HttpRouteFilter
                            {
                                Type = "URLRewrite",
                                UrlRewrite = new HttpUrlRewriteFilter { Path = new HttpPathModifier { Type = "ReplacePrefixMatch", ReplacePrefixMatch = "/" } },
                            },
                        ],
                        BackendRefs = [new HttpBackendReference { Group = poolGroup, Kind = InferencePoolV1.KubeKind, Name = ClusterNames.InferencePool(plan.Pool.Name) }],
                        // Streamed generations last minutes: no route timeout, as KServe's route preset.
                        Timeouts = new HttpRouteTimeouts { Request = "0s", BackendRequest = "0s" },
                    },
                ],
            },
        };
    }
}
