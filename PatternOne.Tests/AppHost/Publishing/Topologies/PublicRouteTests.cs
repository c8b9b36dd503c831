using k8s.Models;
using Microsoft.AspNetCore.Http;
using PatternOne.AppHost.Publishing.Manifests.Topologies;
using PatternOne.AppHost.Publishing.Plan;
using PatternOne.Gateway.Routing;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// The public-surface rule in the Istio and KServe topologies: through the public prefix their HTTPRoute rules reach
/// exactly what our own gateway lets through (<see cref="PublicSurface"/>: vLLM's OpenAI API and <c>/health</c>), with
/// the path the replica expects; operational paths match no rule, which the gateway answers with 404. With
/// <c>expose-operational-endpoints=true</c> everything under the prefix reaches the pool. Requests are matched the
/// way the Gateway API specifies HTTPRoute path matching (see <see cref="GatewayApiPathMatcher"/>).
/// </summary>
public sealed class PublicRouteTests
{
    private const string Prefix = "/llm-d-inference-scheduling/qwen2-3b-pattern1";

    /// <summary>Paths a replica serves or might be asked for, as the replica sees them.</summary>
    public static readonly string[] ReplicaPaths =
    [
        "/v1/chat/completions", "/v1/completions", "/v1/models", "/v1/embeddings", "/v1/responses", "/v1", "/health",
        "/metrics", "/tokenize", "/detokenize", "/load", "/version", "/ping", "/reset_prefix_cache", "/sim/faults",
        "/docs", "/openapi.json", "/", "/v1x/models", "/V1/models", "/health/x", "/inference/v1/generate",
    ];

    /// <summary>Under /v1 but operational; an HTTPRoute cannot deny them (see <see cref="InferenceRouteComponent"/>).</summary>
    private static readonly string[] s_runtimeLora = ["/v1/load_lora_adapter", "/v1/unload_lora_adapter"];

    public static TheoryData<PublishTopology, string> RoutesAndPaths()
    {
        var data = new TheoryData<PublishTopology, string>();
        foreach (var topology in new[] { PublishTopology.Istio, PublishTopology.KServe })
        {
            foreach (var path in ReplicaPaths)
            {
                data.Add(topology, path);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RoutesAndPaths))]
    public void ThePublishedRoute_ReachesExactlyThePublicSurface(PublishTopology topology, string path)
    {
        var (rules, pool) = RulesOf(PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object).ToList());

        var routed = GatewayApiPathMatcher.Route(rules, Prefix + (path == "/" ? "" : path));

        Assert.Equal(PublicSurface.IsPublic(new PathString(path)), routed is not null);
        if (routed is not null)
        {
            Assert.Equal(path, routed.Value.Path);
            Assert.Equal(pool, Assert.Single(routed.Value.Rule.BackendRefs).Name);
        }
    }

    [Theory]
    [InlineData(PublishTopology.Istio)]
    [InlineData(PublishTopology.KServe)]
    public void RuntimeLoraCalls_AreRoutedButThePublishedVllmDoesNotServeThem(PublishTopology topology)
    {
        var objects = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(topology)).Select(o => o.Object).ToList();
        var (rules, _) = RulesOf(objects);

        Assert.All(s_runtimeLora, path => Assert.NotNull(GatewayApiPathMatcher.Route(rules, Prefix + path)));
        var vllm = topology == PublishTopology.KServe
            ? objects.OfType<LlmInferenceService>().Single().Spec.Template!.Containers.Single()
            : objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "qwen2-3b-pattern1-kserve").Spec.Template.Spec.Containers.Single(c => c.Name == "main");
        Assert.DoesNotContain(vllm.Env ?? [], e => e.Name == "VLLM_ALLOW_RUNTIME_LORA_UPDATING");
    }

    [Theory]
    [InlineData(PublishTopology.Istio)]
    [InlineData(PublishTopology.KServe)]
    public async Task ExposingOperationalEndpoints_RoutesEveryPathUnderThePrefix(PublishTopology topology)
    {
        using var run = await PublishRun.PublishAsync([PublishRun.TopologyArgument(topology), "Parameters:expose-operational-endpoints=true"]);
        var (rules, pool) = RulesOf(run.Objects().Select(o => o.Object).ToList());

        Assert.All(ReplicaPaths.Concat(s_runtimeLora), path =>
        {
            var routed = GatewayApiPathMatcher.Route(rules, Prefix + (path == "/" ? "" : path));
            Assert.NotNull(routed);
            Assert.Equal(path, routed.Value.Path);
            Assert.Equal(pool, Assert.Single(routed.Value.Rule.BackendRefs).Name);
        });
        Assert.Null(GatewayApiPathMatcher.Route(rules, "/other-namespace/v1/models"));
    }

    [Fact]
    public async Task ExposingOperationalEndpoints_IsTheStandaloneGatewaysRouteSettingToo()
    {
        using var run = await PublishRun.PublishAsync(["Parameters:expose-operational-endpoints=true"]);

        var settings = run.Single<V1ConfigMap>("inference-gateway-istio-env").Data;
        Assert.Equal("true", settings["Gateway__Routes__0__ExposeOperationalEndpoints"]);
        Assert.Equal("false", PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object).OfType<V1ConfigMap>()
            .Single(c => c.Metadata.Name == "inference-gateway-istio-env").Data["Gateway__Routes__0__ExposeOperationalEndpoints"]);
    }

    [Fact]
    public async Task ExposeOperationalEndpoints_ThatIsNoBoolean_WritesNothing()
    {
        using var run = await PublishRun.PublishAsync(["Parameters:expose-operational-endpoints=yes-please"]);

        Assert.False(File.Exists(Path.Combine(run.Directory, "kustomization.yaml")));
    }

    /// <summary>The route's rules (Istio: the HTTPRoute; KServe: the LLMInferenceService's route spec) and the pool's name.</summary>
    private static (IList<HttpRouteRule> Rules, string Pool) RulesOf(List<object> objects)
    {
        var rules = objects.OfType<GatewayApiHttpRoute>().SingleOrDefault()?.Spec.Rules
            ?? objects.OfType<LlmInferenceService>().Single().Spec.Router!.Route!.Http!.Spec!.Rules;
        return (rules, "qwen2-3b-pattern1-inference-pool");
    }
}

/// <summary>
/// HTTPRoute path matching and URL rewriting as the Gateway API specifies them (gateway-api <c>HTTPPathMatch</c>,
/// <c>HTTPPathModifier</c>): <c>Exact</c> is case-sensitive equality; <c>PathPrefix</c> matches element by element
/// (<c>/v1</c> matches <c>/v1</c> and <c>/v1/models</c>, not <c>/v1x</c>); an Exact match wins over prefixes, and the
/// longest prefix over shorter ones. <c>ReplacePrefixMatch</c> replaces the matched prefix, <c>ReplaceFullPath</c>
/// the whole path.
/// </summary>
public static class GatewayApiPathMatcher
{
    public static (HttpRouteRule Rule, string Path)? Route(IEnumerable<HttpRouteRule> rules, string path)
    {
        var best = rules
            .SelectMany(rule => rule.Matches.Select(match => (rule, match.Path)))
            .Where(candidate => Matches(candidate.Path, path))
            .OrderByDescending(candidate => candidate.Path.Type == "Exact")
            .ThenByDescending(candidate => candidate.Path.Value.TrimEnd('/').Length)
            .Select(candidate => ((HttpRouteRule, HttpPathMatch)?)candidate)
            .FirstOrDefault();
        if (best is not { } chosen)
        {
            return null;
        }

        var rewrite = chosen.Item1.Filters?.SingleOrDefault(f => f.Type == "URLRewrite")?.UrlRewrite?.Path;
        return (chosen.Item1, rewrite switch
        {
            null => path,
            { Type: "ReplaceFullPath" } => rewrite.ReplaceFullPath!,
            { Type: "ReplacePrefixMatch" } => ReplacePrefix(path, chosen.Item2.Value.TrimEnd('/'), rewrite.ReplacePrefixMatch!),
            _ => throw new InvalidOperationException($"Unknown path modifier {rewrite.Type}."),
        });
    }

    private static bool Matches(HttpPathMatch match, string path) => match.Type switch
    {
        "Exact" => path == match.Value,
        "PathPrefix" => match.Value.TrimEnd('/') is var prefix
            && (prefix.Length == 0 || path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal)),
        _ => throw new InvalidOperationException($"Unknown path match {match.Type}."),
    };

    private static string ReplacePrefix(string path, string prefix, string replacement)
    {
        var rewritten = replacement.TrimEnd('/') + path[prefix.Length..];
        return rewritten.Length == 0 ? "/" : rewritten;
    }
}
