using System.Net;
using k8s;
using k8s.Autorest;

namespace PatternOne.Scheduler.Discovery;

/// <summary>
/// What the scheduler's list-and-watch loops share (<see cref="KubernetesDiscovery"/>, <see cref="InferencePoolWatcher"/>,
/// the InferenceObjective watcher): the retry pause, the server-side watch timeout, which failures are worth a retry,
/// and the 410 Gone that means "list again".
/// </summary>
internal static class KubernetesWatch
{
    /// <summary>Pause after an unexpected failure before trying again; keeps a broken API server from being hammered.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Server-side watch timeout; the API server closes the watch after it and the loop resumes or lists again.</summary>
    public const int TimeoutSeconds = 300;

    /// <summary>A failure of the API server or of the connection to it: log, wait <see cref="RetryDelay"/>, try again.</summary>
    public static bool IsTransient(Exception exception) =>
        exception is HttpOperationException or HttpRequestException or IOException or KubernetesException or k8s.Exceptions.KubernetesClientException;

    /// <summary>410 Gone: the resource version is too old to watch from; list (or read) again.</summary>
    public static bool IsGone(Exception? error) => error switch
    {
        KubernetesException k => k.Status?.Code == (int)HttpStatusCode.Gone,
        HttpOperationException h => h.Response?.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    /// <summary>A custom object as a watch delivers it (untyped) read as <typeparamref name="T"/>; a JSON round trip, cheap for the few objects watched.</summary>
    public static T Typed<T>(object item) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(item));
}
