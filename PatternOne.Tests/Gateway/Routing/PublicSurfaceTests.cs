using Microsoft.AspNetCore.Http;
using PatternOne.Gateway.Routing;

namespace PatternOne.Tests.Gateway.Routing;

public class PublicSurfaceTests
{
    [Theory]
    [InlineData("/v1/chat/completions", true)]
    [InlineData("/v1/completions", true)]
    [InlineData("/v1/models", true)]
    [InlineData("/v1/embeddings", true)]
    [InlineData("/v1/responses", true)]
    [InlineData("/v1", true)]
    [InlineData("/health", true)]
    [InlineData("/metrics", false)]
    [InlineData("/tokenize", false)]
    [InlineData("/detokenize", false)]
    [InlineData("/load", false)]
    [InlineData("/version", false)]
    [InlineData("/ping", false)]
    [InlineData("/reset_prefix_cache", false)]
    [InlineData("/sim/faults", false)]
    [InlineData("/docs", false)]
    [InlineData("/openapi.json", false)]
    [InlineData("/", false)]
    [InlineData("/v1/load_lora_adapter", false)]
    [InlineData("/v1/unload_lora_adapter", false)]
    [InlineData("/v1x/models", false)]
    [InlineData("/V1/models", false)]
    [InlineData("/health/x", false)]
    [InlineData("/inference/v1/generate", false)]
    public void IsPublic_OnlyTheOpenAiApiAndHealth(string path, bool isPublic) =>
        Assert.Equal(isPublic, PublicSurface.IsPublic(new PathString(path)));
}
