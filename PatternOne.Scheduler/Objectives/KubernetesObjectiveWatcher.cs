using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;

namespace PatternOne.Scheduler.Objectives;

/// <summary>
/// Keeps <see cref="ObjectiveRegistry"/> in step with the cluster's InferenceObjective objects (llm-d.ai/v1alpha2)
/// whose <c>spec.poolRef.name</c> is this pool, in the pool's namespace:
/// <code>
///  list (resourceVersion R) ──▶ watch from R ──▶ ADDED/MODIFIED/DELETED update the registry
///        ▲                                         │ watch ends, fails or 410 Gone
///        └─────────────────────────────────────────┘ list again (objectives are few; a re-list is cheap)
/// </code>
/// Without the CRD (404) it logs once and looks again every <see cref="MissingCrdRetryDelay"/>; configured objectives
/// keep working meanwhile.
/// </summary>
internal sealed partial class KubernetesObjectiveWatcher(
    Kubernetes client,
    ObjectiveRegistry registry,
    IOptions<InferencePoolOptions> options,
    TimeProvider timeProvider,
    ILogger<KubernetesObjectiveWatcher> logger) : BackgroundService
{
    internal static readonly TimeSpan MissingCrdRetryDelay = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, int> _priorities = new(StringComparer.Ordinal);
    private bool _crdMissingLogged;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ns = options.Value.EffectiveNamespace;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<InferenceObjectiveResourceList>(
                    InferenceObjectiveResource.Group, InferenceObjectiveResource.Version, ns, InferenceObjectiveResource.Plural,
                    cancellationToken: stoppingToken);
                _priorities.Clear();
                foreach (var objective in list.Items)
                {
                    Apply(WatchEventType.Added, objective);
                }

                Publish();
                _crdMissingLogged = false;
                LogListed(logger, ns, _priorities.Count);
                await WatchAsync(ns, list.Metadata?.ResourceVersion, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException ex) when (ex.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                if (!_crdMissingLogged)
                {
                    LogCrdMissing(logger, ns);
                    _crdMissingLogged = true;
                }

                await Task.Delay(MissingCrdRetryDelay, timeProvider, stoppingToken);
            }
            catch (Exception ex) when (KubernetesWatch.IsTransient(ex) || ex is System.Text.Json.JsonException)
            {
                LogFailed(logger, ex);
                await Task.Delay(KubernetesWatch.RetryDelay, timeProvider, stoppingToken);
            }
        }
    }

    /// <summary>Applies watch events until the watch ends (server timeout, error, 410); the caller lists again.</summary>
    private async Task WatchAsync(string ns, string? resourceVersion, CancellationToken stoppingToken)
    {
        Exception? streamError = null;
        var events = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            InferenceObjectiveResource.Group, InferenceObjectiveResource.Version, ns, InferenceObjectiveResource.Plural,
            allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: KubernetesWatch.TimeoutSeconds,
            onError: ex => streamError ??= ex, cancellationToken: stoppingToken);
        await foreach (var (type, item) in events)
        {
            if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
            {
                // Custom objects arrive untyped; objectives change rarely, so a JSON round trip is no cost.
                Apply(type, KubernetesWatch.Typed<InferenceObjectiveResource>(item));
                Publish();
            }

            if (streamError is not null)
            {
                break;
            }
        }

        if (streamError is not null)
        {
            LogWatchEnded(logger, streamError.Message);
            await Task.Delay(KubernetesWatch.RetryDelay, timeProvider, stoppingToken);
        }
    }

    private void Apply(WatchEventType type, InferenceObjectiveResource objective)
    {
        var name = objective.Metadata?.Name;
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        if (type == WatchEventType.Deleted || objective.Spec?.PoolRef?.Name != options.Value.Name)
        {
            _priorities.Remove(name);
        }
        else
        {
            _priorities[name] = objective.Spec.Priority ?? 0;
        }
    }

    private void Publish() => registry.SetClusterObjectives(new Dictionary<string, int>(_priorities, StringComparer.Ordinal));

    [LoggerMessage(EventId = 1111, Level = LogLevel.Information, Message = "Listed InferenceObjectives in {Namespace}: {Count} for this pool")]
    private static partial void LogListed(ILogger logger, string @namespace, int count);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "No InferenceObjective API (llm-d.ai/v1alpha2) in {Namespace}; only configured objectives apply. Looking again every 30 s")]
    private static partial void LogCrdMissing(ILogger logger, string @namespace);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Reading InferenceObjectives failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1114, Level = LogLevel.Information, Message = "InferenceObjective watch ended ({Reason}); listing again")]
    private static partial void LogWatchEnded(ILogger logger, string reason);
}
