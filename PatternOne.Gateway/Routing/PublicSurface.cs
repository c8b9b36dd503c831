namespace PatternOne.Gateway.Routing;

/// <summary>
/// What a route exposes of a vLLM server by default: its OpenAI API (<c>/v1/*</c>) and <c>/health</c>. Everything else a
/// replica serves is operational — <c>/metrics</c>, <c>/tokenize</c>, <c>/detokenize</c>, <c>/load</c>,
/// <c>/version</c>, <c>/ping</c>, <c>/reset_prefix_cache</c>, fault injection (the simulator's <c>/sim/faults</c>), FastAPI's <c>/docs</c> — and gets the same
/// 404 as a path outside every route, so the internet cannot even tell it exists. So do vLLM's runtime LoRA calls
/// (<c>/v1/load_lora_adapter</c>, <c>/v1/unload_lora_adapter</c>): they sit under <c>/v1</c> but change what the server
/// runs. <see cref="GatewayRouteOptions.ExposeOperationalEndpoints"/> turns the filter off for a route.
/// </summary>
public static class PublicSurface
{
    /// <summary>vLLM's OpenAI API: every path under it is public (but the LoRA calls).</summary>
    public const string OpenAiApi = "/v1";

    /// <summary>vLLM's liveness, public so that clients and load balancers can probe through a route.</summary>
    public const string Health = "/health";

    private static readonly string[] OperationalUnderOpenAiApi = ["/v1/load_lora_adapter", "/v1/unload_lora_adapter"];

    /// <summary>Whether <paramref name="rewrittenPath"/> (the path the replica would see) is public by default.</summary>
    public static bool IsPublic(PathString rewrittenPath)
    {
        var path = rewrittenPath.Value ?? "";
        if (path == Health)
        {
            return true;
        }

        if (!path.StartsWith(OpenAiApi, StringComparison.Ordinal) || (path.Length > OpenAiApi.Length && path[OpenAiApi.Length] != '/'))
        {
            return false;
        }

        foreach (var operational in OperationalUnderOpenAiApi)
        {
            if (path.StartsWith(operational, StringComparison.Ordinal)
                && (path.Length == operational.Length || path[operational.Length] == '/'))
            {
                return false;
            }
        }

        return true;
    }
}
