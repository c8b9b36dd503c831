using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace PatternOne.Tests.Infrastructure;

/// <summary>
/// Just enough of the Kubernetes API for pool discovery and objectives: <c>GET /api/v1/namespaces/{ns}/pods</c> (filtered
/// by an equality <c>labelSelector</c> as the API server does) and
/// <c>GET /apis/llm-d.ai/v1alpha2/namespaces/{ns}/inferenceobjectives</c>, each as a list (with the current
/// resourceVersion) or, with <c>watch=true</c>, as a stream of JSON watch events the test pushes; and InferencePool
/// objects of either API group: <c>GET /apis/{group}/{version}/namespaces/{ns}/inferencepools/{name}</c> and their watch.
/// Objectives and pools are plain JSON, as a custom resource is to the API server.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<WatchConnection> _watches = Channel.CreateUnbounded<WatchConnection>();
    private readonly Channel<WatchConnection> _poolWatches = Channel.CreateUnbounded<WatchConnection>();
    private readonly Channel<WatchConnection> _objectiveWatches = Channel.CreateUnbounded<WatchConnection>();

    private FakeKubernetesApi(WebApplication app) => _app = app;

    /// <summary>Pods returned by the next list.</summary>
    public List<V1Pod> Pods { get; } = [];

    public string ResourceVersion { get; set; } = "100";

    /// <summary>InferenceObjective objects (JSON) returned by the next list; null = the CRD is not installed (404).</summary>
    public List<string>? Objectives { get; set; } = [];

    private int _objectiveRequests;

    /// <summary>Requests for InferenceObjectives so far (lists and watches).</summary>
    public int ObjectiveRequests => Volatile.Read(ref _objectiveRequests);

    /// <summary>Every request: (watch?, resourceVersion, labelSelector, namespace).</summary>
    public ConcurrentQueue<(bool Watch, string? ResourceVersion, string? LabelSelector, string Namespace)> Requests { get; } = new();

    /// <summary>InferencePools by <c>group/version/namespace/name</c>, as JSON objects.</summary>
    public ConcurrentDictionary<string, string> InferencePools { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request as <c>GET /path?query</c>, in order (what the client read: the RBAC it needs).</summary>
    public ConcurrentQueue<string> AllRequests { get; } = new();

    public Uri BaseAddress => new(_app.Urls.Single());

    public static async Task<FakeKubernetesApi> StartAsync(TimeSpan timeout)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var api = new FakeKubernetesApi(app);
        app.Use((context, next) =>
        {
            api.AllRequests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            return next(context);
        });
        app.MapGet("/api/v1/namespaces/{ns}/pods", api.HandleAsync);
        app.MapGet("/apis/{group}/{version}/namespaces/{ns}/inferencepools/{name}", api.GetPool);
        app.MapGet("/apis/{group}/{version}/namespaces/{ns}/inferencepools", api.WatchPoolsAsync);
        app.MapGet("/apis/llm-d.ai/v1alpha2/namespaces/{ns}/inferenceobjectives", api.HandleObjectivesAsync);
        await app.StartAsync().WaitAsync(timeout);
        return api;
    }

    /// <summary>Waits for the scheduler to open its next InferencePool watch.</summary>
    public async Task<WatchConnection> NextPoolWatchAsync(TimeSpan timeout) => await _poolWatches.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    /// <summary>An InferencePool of <paramref name="group"/> (v1 or v1alpha2 field names) selecting <paramref name="selector"/>.</summary>
    public static string Pool(string group, string name, string resourceVersion, IDictionary<string, string> selector, int port)
    {
        var labels = new JsonObject();
        foreach (var (key, value) in selector)
        {
            labels[key] = value;
        }

        var v1 = group == "inference.networking.k8s.io";
        var pool = new JsonObject
        {
            ["apiVersion"] = group + (v1 ? "/v1" : "/v1alpha2"),
            ["kind"] = "InferencePool",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "llm-d-inference-scheduling", ["resourceVersion"] = resourceVersion },
            ["spec"] = v1
                ? new JsonObject
                {
                    ["selector"] = new JsonObject { ["matchLabels"] = labels },
                    ["targetPorts"] = new JsonArray(new JsonObject { ["number"] = port }),
                    ["endpointPickerRef"] = new JsonObject { ["name"] = "epp", ["port"] = new JsonObject { ["number"] = 9002 } },
                }
                : new JsonObject { ["selector"] = labels, ["targetPortNumber"] = port, ["extensionRef"] = new JsonObject { ["name"] = "epp" } },
        };
        return pool.ToJsonString();
    }

    private IResult GetPool(string group, string version, string ns, string name) =>
        InferencePools.TryGetValue($"{group}/{version}/{ns}/{name}", out var json)
            ? Results.Text(json, "application/json")
            : Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", reason = "NotFound", code = 404 }, statusCode: 404);

    private async Task WatchPoolsAsync(HttpContext context)
    {
        var connection = new WatchConnection(context.Request.Query["resourceVersion"]);
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync();
        await _poolWatches.Writer.WriteAsync(connection);
        await foreach (var line in connection.Lines.Reader.ReadAllAsync(context.RequestAborted))
        {
            await context.Response.WriteAsync(line + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }

    /// <summary>Waits for the scheduler to open its next watch.</summary>
    public async Task<WatchConnection> NextWatchAsync(TimeSpan timeout) => await _watches.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    public static V1Pod Pod(string name, string ip, bool ready, string resourceVersion, IDictionary<string, string>? labels = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "llm-d-inference-scheduling",
            ResourceVersion = resourceVersion,
            Labels = labels ?? new Dictionary<string, string> { ["app.kubernetes.io/name"] = "qwen2-3b-pattern1", ["kserve.io/component"] = "workload" },
        },
        Status = new V1PodStatus
        {
            PodIP = ip,
            Phase = "Running",
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    private async Task HandleAsync(HttpContext context, string ns)
    {
        var query = context.Request.Query;
        var watch = query["watch"] == "true" || query["watch"] == "1";
        Requests.Enqueue((watch, query["resourceVersion"], query["labelSelector"], ns));
        if (!watch)
        {
            var selector = ParseSelector(query["labelSelector"]);
            var list = new V1PodList
            {
                ApiVersion = "v1",
                Kind = "PodList",
                Metadata = new V1ListMeta { ResourceVersion = ResourceVersion },
                Items = [.. Pods.Where(p => selector.All(kv => p.Metadata.Labels?.TryGetValue(kv.Key, out var v) == true && v == kv.Value))],
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(KubernetesJson.Serialize(list));
            return;
        }

        context.Response.ContentType = "application/json";
        await StreamAsync(context, _watches, new WatchConnection(query["resourceVersion"]));
    }

    /// <summary>Waits for the scheduler to open its next InferenceObjective watch.</summary>
    public async Task<WatchConnection> NextObjectiveWatchAsync(TimeSpan timeout) => await _objectiveWatches.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    public static string Objective(string name, string pool, int? priority)
    {
        var priorityField = priority is { } p ? $",\"priority\":{p}" : "";
        return $$$"""{"apiVersion":"llm-d.ai/v1alpha2","kind":"InferenceObjective","metadata":{"name":"{{{name}}}","namespace":"llm-d-inference-scheduling"},"spec":{"poolRef":{"name":"{{{pool}}}"}{{{priorityField}}}}}""";
    }

    private async Task HandleObjectivesAsync(HttpContext context, string ns)
    {
        Interlocked.Increment(ref _objectiveRequests);
        var watch = context.Request.Query["watch"] == "true" || context.Request.Query["watch"] == "1";
        if (Objectives is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = "application/json";
        if (!watch)
        {
            await context.Response.WriteAsync($$"""{"apiVersion":"llm-d.ai/v1alpha2","kind":"InferenceObjectiveList","metadata":{"resourceVersion":"{{ResourceVersion}}"},"items":[{{string.Join(',', Objectives)}}]}""");
            return;
        }

        await StreamAsync(context, _objectiveWatches, new WatchConnection(context.Request.Query["resourceVersion"]));
    }

    private static async Task StreamAsync(HttpContext context, Channel<WatchConnection> watches, WatchConnection connection)
    {
        await context.Response.StartAsync();
        await watches.Writer.WriteAsync(connection);
        await foreach (var line in connection.Lines.Reader.ReadAllAsync(context.RequestAborted))
        {
            await context.Response.WriteAsync(line + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static Dictionary<string, string> ParseSelector(string? selector) =>
        (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(term => term.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);

    /// <summary>One open watch: events written here reach the scheduler; <see cref="Close"/> ends the response.</summary>
    public sealed class WatchConnection(string? resourceVersion)
    {
        public string? ResourceVersion { get; } = resourceVersion;

        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();

        public ValueTask SendAsync(string type, V1Pod pod) =>
            Lines.Writer.WriteAsync($$"""{"type":"{{type}}","object":{{KubernetesJson.Serialize(pod)}}}""");

        /// <summary>An event whose object is already JSON (custom resources).</summary>
        public ValueTask SendJsonAsync(string type, string json) =>
            Lines.Writer.WriteAsync($$"""{"type":"{{type}}","object":{{json}}}""");

        public ValueTask SendGoneAsync() =>
            Lines.Writer.WriteAsync("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}}""");

        public void Close() => Lines.Writer.TryComplete();
    }
}
