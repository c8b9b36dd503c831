using Microsoft.AspNetCore.Http;
using PatternOne.Gateway;
using PatternOne.Gateway.Routing;

namespace PatternOne.Tests.Gateway.Routing;

public class RouteTableTests
{
    private const string Seed = "/llm-d-inference-scheduling/qwen2-3b-pattern1/";

    [Theory]
    [InlineData(Seed + "v1/chat/completions", "/v1/chat/completions")]
    [InlineData(Seed + "v1/models", "/v1/models")]
    [InlineData(Seed, "/")]
    [InlineData("/llm-d-inference-scheduling/qwen2-3b-pattern1", "/")]
    [InlineData(Seed + "v1//x", "/v1//x")]
    public void TryMatch_StripsThePrefixToSlash(string path, string rewritten)
    {
        var table = new RouteTable([new GatewayRouteOptions { PathPrefix = Seed, Pool = "p" }]);

        Assert.True(table.TryMatch(path, out var match));
        Assert.Equal(rewritten, match.RewrittenPath.Value);
        Assert.Equal("/llm-d-inference-scheduling/qwen2-3b-pattern1", match.MatchedPrefix.Value);
        Assert.Equal("p", match.Route.Pool);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/")]
    [InlineData("/llm-d-inference-scheduling/qwen2-3b-pattern1x/v1/models")]
    [InlineData("/LLM-D-INFERENCE-SCHEDULING/qwen2-3b-pattern1/v1/models")]
    [InlineData("/llm-d-inference-scheduling")]
    public void TryMatch_RefusesPathsOutsideThePrefixSegments(string path)
    {
        var table = new RouteTable([new GatewayRouteOptions { PathPrefix = Seed, Pool = "p" }]);

        Assert.False(table.TryMatch(path, out _));
    }

    [Theory]
    [InlineData("/models/a/v1/completions", "a", "/v1/completions")]
    [InlineData("/models/a/b/v1/completions", "ab", "/v1/completions")]
    [InlineData("/models/other", "root", "/models/other")]
    public void TryMatch_PrefersTheLongestPrefix(string path, string pool, string rewritten)
    {
        var table = new RouteTable(
        [
            new GatewayRouteOptions { PathPrefix = "/", Pool = "root" },
            new GatewayRouteOptions { PathPrefix = "/models/a", Pool = "a" },
            new GatewayRouteOptions { PathPrefix = "/models/a/b/", Pool = "ab" },
        ]);

        Assert.True(table.TryMatch(new PathString(path), out var match));
        Assert.Equal(pool, match.Route.Pool);
        Assert.Equal(rewritten, match.RewrittenPath.Value);
    }
}
