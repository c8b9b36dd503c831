using System.Net;
using k8s;
using k8s.Autorest;
using k8s.ClientSets;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace PatternOne.Scheduler.Discovery;

/// <summary>
/// InferencePool semantics over the Kubernetes API: the pool is every pod in <c>InferencePool:Namespace</c> whose
/// labels match the current <see cref="PoolSelection"/> (from configuration, or from the InferencePool object), that
/// is Ready and has an IP, as <c>podIP:port</c> for each target port.
/// <code>
///  list (resourceVersion R) ──▶ watch from R ──▶ ADDED/MODIFIED/DELETED/BOOKMARK advance R
///        ▲                        │ disconnect / timeout: watch again from R (no events lost)
///        └──── 410 Gone ──────────┘ R too old: list again
///  selection changed (InferencePool edited): stop, list again with the new selector and ports
/// </code>
/// </summary>
internal sealed partial class KubernetesDiscovery(
    Kubernetes client,
    EndpointPool pool,
    PoolSelectionSource selections,
    IOptions<InferencePoolOptions> options,
    TimeProvider timeProvider,
    ILogger<KubernetesDiscovery> logger) : BackgroundService
{
    private readonly Dictionary<string, V1Pod> _pods = new(StringComparer.Ordinal);

    private string Namespace => options.Value.EffectiveNamespace;

    private PoolSelection _selection = null!;

    private string LabelSelector => _selection.LabelSelector;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var (selection, changed) = selections.Snapshot();
            using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, changed);
            try
            {
                if (selection is null)
                {
                    // The InferencePool has not been read yet: wait for its first selection.
                    await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, run.Token);
                    continue;
                }

                _selection = selection;
                await FollowAsync(run.Token);
            }
            catch (OperationCanceledException) when (run.IsCancellationRequested)
            {
                // Stopping, or the selection changed: the loop decides.
            }

            if (selection is not null && changed.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                LogSelectionChanged(logger, selection.LabelSelector);
            }
        }
    }

    /// <summary>Lists and watches the pods of the current selection until <paramref name="stoppingToken"/> fires.</summary>
    private async Task FollowAsync(CancellationToken stoppingToken)
    {
        var pods = new ClientSet(client).CoreV1.Pod;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var list = await client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: LabelSelector, cancellationToken: stoppingToken);
                _pods.Clear();
                foreach (var pod in list.Items)
                {
                    _pods[pod.Metadata.Name] = pod;
                }

                var resourceVersion = list.Metadata?.ResourceVersion;
                Publish();
                LogListed(logger, Namespace, LabelSelector, list.Items.Count, pool.Endpoints.Count, resourceVersion);
                await WatchFromAsync(pods, resourceVersion, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (KubernetesWatch.IsTransient(ex))
            {
                LogListFailed(logger, ex);
                await Task.Delay(KubernetesWatch.RetryDelay, timeProvider, stoppingToken);
            }
        }
    }

    /// <summary>Watches until the resource version expires (returns, so the caller lists again) or the host stops.</summary>
    private async Task WatchFromAsync(PodClient pods, string? resourceVersion, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Exception? streamError = null;
            try
            {
                await foreach (var (type, pod) in pods.WatchListAsync(
                    Namespace,
                    allowWatchBookmarks: true,
                    labelSelector: LabelSelector,
                    resourceVersion: resourceVersion,
                    timeoutSeconds: KubernetesWatch.TimeoutSeconds,
                    onError: ex => streamError ??= ex,
                    cancellationToken: stoppingToken))
                {
                    resourceVersion = pod.Metadata?.ResourceVersion ?? resourceVersion;
                    switch (type)
                    {
                        case WatchEventType.Added:
                        case WatchEventType.Modified:
                            _pods[pod.Metadata!.Name] = pod;
                            Publish();
                            break;
                        case WatchEventType.Deleted:
                            _pods.Remove(pod.Metadata!.Name);
                            Publish();
                            break;
                        default:
                            break; // bookmarks only move the resource version
                    }

                    if (KubernetesWatch.IsGone(streamError))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException ex) when (ex.Response?.StatusCode == HttpStatusCode.Gone)
            {
                streamError = ex;
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException or k8s.Exceptions.KubernetesClientException)
            {
                // A dropped connection: resume from the last version seen, nothing is lost.
                LogWatchInterrupted(logger, resourceVersion, ex.Message);
                await Task.Delay(KubernetesWatch.RetryDelay, timeProvider, stoppingToken);
                continue;
            }

            if (KubernetesWatch.IsGone(streamError))
            {
                LogGone(logger, resourceVersion);
                return;
            }

            if (streamError is not null)
            {
                LogWatchInterrupted(logger, resourceVersion, streamError.Message);
                await Task.Delay(KubernetesWatch.RetryDelay, timeProvider, stoppingToken);
            }
        }
    }

    private void Publish()
    {
        var ports = _selection.TargetPorts;
        pool.Replace(_pods.Values.Where(IsReady).SelectMany(pod => ports.Select(port => EndpointAddress.Format(pod.Status.PodIP, port))));
    }

    /// <summary>Ready condition true, an IP assigned, and not being deleted — the pods a Service would route to.</summary>
    internal static bool IsReady(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is null
        && !string.IsNullOrEmpty(pod.Status?.PodIP)
        && pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Listed pods in {Namespace} matching '{Selector}': {Pods} pod(s), {Ready} ready endpoint(s), resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, string @namespace, string selector, int pods, int ready, string? resourceVersion);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Listing pods failed; retrying")]
    private static partial void LogListFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Pod watch interrupted at resourceVersion {ResourceVersion} ({Reason}); resuming")]
    private static partial void LogWatchInterrupted(ILogger logger, string? resourceVersion, string reason);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "The pool's selection changed (was '{Selector}'); listing pods again")]
    private static partial void LogSelectionChanged(ILogger logger, string selector);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "resourceVersion {ResourceVersion} expired (410 Gone); listing again")]
    private static partial void LogGone(ILogger logger, string? resourceVersion);
}
