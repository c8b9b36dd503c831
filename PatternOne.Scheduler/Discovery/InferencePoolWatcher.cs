using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace PatternOne.Scheduler.Discovery;

/// <summary>
/// Reads the InferencePool named by <c>--pool-name</c> and follows it, as upstream's EPP does: its selector and target
/// ports define the pool, and a change to them re-selects the pods (<see cref="KubernetesDiscovery"/> restarts its pod
/// watch on the new <see cref="PoolSelection"/>). Both API versions:
/// <code>
///  inference.networking.k8s.io/v1          spec.selector.matchLabels   spec.targetPorts[].number
///  inference.networking.x-k8s.io/v1alpha2  spec.selector               spec.targetPortNumber
///  GET …/inferencepools/{name} ─▶ watch (fieldSelector metadata.name) from its resourceVersion ─▶ 410 Gone: GET again
/// </code>
/// </summary>
internal sealed partial class InferencePoolWatcher(
    Kubernetes client,
    PoolSelectionSource selection,
    IOptions<InferencePoolOptions> options,
    TimeProvider timeProvider,
    ILogger<InferencePoolWatcher> logger) : BackgroundService
{
    public const string Plural = "inferencepools";

    /// <summary>The API version served for each group (upstream's <c>--pool-group</c> values).</summary>
    public static readonly IReadOnlyDictionary<string, string> VersionOfGroup = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [InferencePoolOptions.GroupV1] = "v1",
        [InferencePoolOptions.GroupV1Alpha2] = "v1alpha2",
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pool = options.Value;
        var group = pool.Group;
        var version = VersionOfGroup[group];
        var ns = pool.EffectiveNamespace;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var current = await client.CustomObjects.GetNamespacedCustomObjectAsync<InferencePoolObject>(group, version, ns, Plural, pool.Name, stoppingToken);
                Apply(current, group);
                await WatchAsync(group, version, ns, current.Metadata?.ResourceVersion, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (KubernetesWatch.IsTransient(ex) || ex is JsonException or InvalidDataException)
            {
                LogReadFailed(logger, group, ns, pool.Name, ex);
                await Task.Delay(KubernetesWatch.RetryDelay, timeProvider, stoppingToken);
            }
        }
    }

    /// <summary>Follows the pool object until its version expires (return: read it again) or the host stops.</summary>
    private async Task WatchAsync(string group, string version, string ns, string? resourceVersion, CancellationToken stoppingToken)
    {
        var name = options.Value.Name;
        while (!stoppingToken.IsCancellationRequested)
        {
            Exception? streamError = null;
            var events = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
                group, version, ns, Plural,
                allowWatchBookmarks: true,
                fieldSelector: "metadata.name=" + name,
                resourceVersion: resourceVersion,
                timeoutSeconds: KubernetesWatch.TimeoutSeconds,
                onError: ex => streamError ??= ex,
                cancellationToken: stoppingToken);
            await foreach (var (type, item) in events)
            {
                // Custom objects arrive untyped; the spec is read by field name per group.
                var pool = KubernetesWatch.Typed<InferencePoolObject>(item);
                resourceVersion = pool.Metadata?.ResourceVersion ?? resourceVersion;
                if (type is WatchEventType.Added or WatchEventType.Modified)
                {
                    Apply(pool, group);
                }
                else if (type == WatchEventType.Deleted)
                {
                    // Upstream keeps serving the last known pool; so do we, and say so.
                    LogDeleted(logger, ns, name);
                }
            }

            if (KubernetesWatch.IsGone(streamError))
            {
                return;
            }

            if (streamError is not null)
            {
                LogWatchInterrupted(logger, name, streamError.Message);
                await Task.Delay(KubernetesWatch.RetryDelay, timeProvider, stoppingToken);
            }
        }
    }

    private void Apply(InferencePoolObject pool, string group)
    {
        var parsed = Parse(pool.Spec, group);
        selection.Set(parsed);
        LogPool(logger, pool.Metadata?.Name, parsed.LabelSelector, string.Join(',', parsed.TargetPorts), pool.Metadata?.ResourceVersion);
    }

    /// <summary>The selection an InferencePool's spec states, in the field names of its API group.</summary>
    internal static PoolSelection Parse(JsonElement spec, string group)
    {
        if (spec.ValueKind != JsonValueKind.Object || !spec.TryGetProperty("selector", out var selector))
        {
            throw new InvalidDataException("The InferencePool has no spec.selector.");
        }

        var labels = group == InferencePoolOptions.GroupV1
            ? selector.TryGetProperty("matchLabels", out var matchLabels) ? matchLabels : default
            : selector;
        var map = labels.ValueKind == JsonValueKind.Object
            ? labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
            : throw new InvalidDataException("The InferencePool's selector has no labels.");
        if (map.Count == 0)
        {
            throw new InvalidDataException("The InferencePool's selector is empty; it would select every pod.");
        }

        List<int> ports = group == InferencePoolOptions.GroupV1
            ? spec.TryGetProperty("targetPorts", out var targetPorts) ? [.. targetPorts.EnumerateArray().Select(p => p.GetProperty("number").GetInt32())] : []
            : spec.TryGetProperty("targetPortNumber", out var number) ? [number.GetInt32()] : [];
        return ports.Count == 0
            ? throw new InvalidDataException("The InferencePool has no target port.")
            : new PoolSelection(map, ports);
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "InferencePool {Name}: selector '{Selector}', target ports {Ports} (resourceVersion {ResourceVersion})")]
    private static partial void LogPool(ILogger logger, string? name, string selector, string ports, string? resourceVersion);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Reading InferencePool {Group} {Namespace}/{Name} failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, string group, string @namespace, string name, Exception exception);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "InferencePool {Name} watch interrupted ({Reason}); resuming")]
    private static partial void LogWatchInterrupted(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "InferencePool {Namespace}/{Name} was deleted; keeping its last selection")]
    private static partial void LogDeleted(ILogger logger, string @namespace, string name);
}

/// <summary>An InferencePool as the API returns it; the spec is read by field name per API group.</summary>
internal sealed class InferencePoolObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public JsonElement Spec { get; set; }
}
