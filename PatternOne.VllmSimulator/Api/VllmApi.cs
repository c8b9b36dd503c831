using Microsoft.AspNetCore.Diagnostics;
using PatternOne.ServiceDefaults;
using PatternOne.ServiceDefaults.Shutdown;

namespace PatternOne.VllmSimulator.Api;

/// <summary>vLLM's routes, and JSON errors for unknown paths (404) and wrong methods (405).</summary>
public static class VllmApi
{
    public const string ChatCompletionsPath = "/v1/chat/completions";
    public const string CompletionsPath = "/v1/completions";
    public const string ModelsPath = "/v1/models";
    public const string HealthPath = "/health";
    public const string PingPath = "/ping";
    public const string VersionPath = "/version";
    public const string LoadPath = "/load";
    public const string TokenizePath = "/tokenize";
    public const string DetokenizePath = "/detokenize";
    public const string MetricsPath = "/metrics";

    /// <summary>vLLM's development route (served by vLLM with <c>VLLM_SERVER_DEV_MODE=1</c>): drop the prefix cache.</summary>
    public const string ResetPrefixCachePath = "/reset_prefix_cache";

    /// <summary>Not a vLLM route: reads (GET) or sets (POST) the fault injection while the simulator runs.</summary>
    public const string FaultsPath = "/sim/faults";

    /// <summary>Maps every route and the JSON error pages.</summary>
    public static WebApplication MapVllmApi(this WebApplication app)
    {
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            var message = status switch
            {
                StatusCodes.Status404NotFound => $"Not Found: {http.Request.Path}",
                StatusCodes.Status405MethodNotAllowed => $"Method Not Allowed: {http.Request.Method} {http.Request.Path}",
                _ => $"HTTP {status}",
            };
            await ApiError.WriteAsync(http, status, message);
        });
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            // Bad input must never surface as an HTML 500; anything unexpected still answers in vLLM's shape.
            var feature = context.Features.Get<IExceptionHandlerFeature>();
            var status = feature?.Error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            await ApiError.WriteAsync(context, status, feature?.Error is BadHttpRequestException ? feature.Error.Message : "Internal server error");
        }));

        app.MapPost(ChatCompletionsPath, (HttpContext context, InferenceEndpoint endpoint) => endpoint.HandleAsync(context, InferenceKind.Chat));
        app.MapPost(CompletionsPath, (HttpContext context, InferenceEndpoint endpoint) => endpoint.HandleAsync(context, InferenceKind.Completion));
        app.MapGet(ModelsPath, (HttpContext context, ServerEndpoints endpoints) => endpoints.ModelsAsync(context));
        // vLLM with --shutdown-timeout: not healthy once the drain has begun.
        app.MapGet(HealthPath, (DrainState drain) => drain.IsDraining ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable) : Results.Ok());
        app.MapMethods(PingPath, ["GET", "POST"], () => Results.Ok());
        // Liveness for Aspire/Kubernetes probes (not a vLLM route), on the path every PatternOne service uses.
        app.MapGet(HealthEndpoints.AlivePath, () => Results.Ok());
        app.MapGet(VersionPath, (HttpContext context, ServerEndpoints endpoints) => endpoints.VersionAsync(context));
        app.MapGet(LoadPath, (HttpContext context, ServerEndpoints endpoints) => endpoints.LoadAsync(context));
        app.MapPost(TokenizePath, (HttpContext context, ServerEndpoints endpoints) => endpoints.TokenizeAsync(context));
        app.MapPost(DetokenizePath, (HttpContext context, ServerEndpoints endpoints) => endpoints.DetokenizeAsync(context));
        app.MapGet(MetricsPath, (HttpContext context, ServerEndpoints endpoints) => endpoints.MetricsAsync(context));
        app.MapPost(ResetPrefixCachePath, (HttpContext context, ServerEndpoints endpoints) => endpoints.ResetPrefixCacheAsync(context));
        app.MapGet(FaultsPath, (HttpContext context, ServerEndpoints endpoints) => endpoints.FaultsAsync(context));
        app.MapPost(FaultsPath, (HttpContext context, ServerEndpoints endpoints) => endpoints.SetFaultsAsync(context));
        return app;
    }
}
