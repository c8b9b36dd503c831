using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;
using PatternOne.Gateway.Routing;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// The <c>HTTPRoute</c> of the Istio topology: the app model's path prefix on the <c>inference-gateway</c>, to the
/// InferencePool — but only vLLM's public surface, as our own gateway serves it (its <c>PublicSurface</c>):
/// <code>
///  /llm-d-inference-scheduling/qwen2-3b-pattern1/v1/…     PathPrefix, ReplacePrefixMatch /v1  ─▶ /v1/…    ─▶ pool (EPP picks)
///  /llm-d-inference-scheduling/qwen2-3b-pattern1/health   Exact,      ReplaceFullPath /health ─▶ /health  ─▶ pool
///  /llm-d-inference-scheduling/qwen2-3b-pattern1/metrics, /tokenize, /load, …   no rule: the gateway's 404
/// </code>
/// With the publish parameter <c>expose-operational-endpoints=true</c> one rule sends the whole prefix, rewritten to
/// <c>/</c>, instead. The KServe topology writes the same rules into its LLMInferenceService.
/// vLLM's runtime LoRA calls (<c>/v1/load_lora_adapter</c>, <c>/v1/unload_lora_adapter</c>) sit under <c>/v1</c>, and an
/// HTTPRoute has no "deny" rule; vLLM serves them only when <c>VLLM_ALLOW_RUNTIME_LORA_UPDATING</c> is set, which the
/// published vLLM never sets, so they answer 404 there.
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

    /// <summary>The rules of the route to the pool of <paramref name="poolGroup"/>: the public surface, or everything.</summary>
    internal static List<HttpRouteRule> Rules(ClusterPlan plan, string poolGroup)
    {
        var prefix = PathPrefix(plan);
        var pool = new HttpBackendReference { Group = poolGroup, Kind = InferencePoolV1.KubeKind, Name = ClusterNames.InferencePool(plan.Pool.Name) };
        return plan.ExposeOperationalEndpoints
            ? [Rule("PathPrefix", prefix, new HttpPathModifier { Type = "ReplacePrefixMatch", ReplacePrefixMatch = "/" }, pool)]
            :
            [
                Rule("PathPrefix", prefix + PublicSurface.OpenAiApi, new HttpPathModifier { Type = "ReplacePrefixMatch", ReplacePrefixMatch = PublicSurface.OpenAiApi }, pool),
                Rule("Exact", prefix + PublicSurface.Health, new HttpPathModifier { Type = "ReplaceFullPath", ReplaceFullPath = PublicSurface.Health }, pool),
            ];
    }

    private static HttpRouteRule Rule(string matchType, string path, HttpPathModifier rewrite, HttpBackendReference pool) => new()
    {
        Matches = [new HttpRouteMatch { Path = new HttpPathMatch { Type = matchType, Value = path } }],
        Filters = [new HttpRouteFilter { Type = "URLRewrite", UrlRewrite = new HttpUrlRewriteFilter { Path = rewrite } }],
        BackendRefs = [pool],
        // Streamed generations last minutes: no route timeout, as KServe's route preset.
        Timeouts = new HttpRouteTimeouts { Request = "0s", BackendRequest = "0s" },
    };

    private static GatewayApiHttpRoute Route(ClusterPlan plan) => new()
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
            Rules = Rules(plan, EndpointPickerArgs.PoolGroupOf(plan.PoolApi)),
        },
    };
}
