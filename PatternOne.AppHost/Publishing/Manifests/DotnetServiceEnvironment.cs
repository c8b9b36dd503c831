using k8s.Models;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>The environment every .NET service of ours (gateway, scheduler) runs with in the cluster.</summary>
internal static class DotnetServiceEnvironment
{
    /// <summary>
    /// What the services need besides their settings: HOME on the writable <c>/tmp</c> (the root filesystem is read-only
    /// and .NET and ASP.NET Core write their few files under HOME), and the Aspire resource name as
    /// <c>OTEL_SERVICE_NAME</c>, as locally, so traces and metrics keep their service name in the cluster.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Common(string resourceName) =>
    [
        new("HOME", Hardening.TmpPath),
        new("OTEL_SERVICE_NAME", resourceName),
    ];

    /// <summary>A ConfigMap for <c>envFrom</c>: <paramref name="variables"/> and <see cref="Common"/>, sorted by name.</summary>
    public static V1ConfigMap ConfigMap(V1ObjectMeta metadata, IReadOnlyDictionary<string, string> variables, string resourceName)
    {
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in variables.Concat(Common(resourceName)))
        {
            data[name] = value;
        }

        return new V1ConfigMap
        {
            ApiVersion = V1ConfigMap.KubeApiVersion,
            Kind = V1ConfigMap.KubeKind,
            Metadata = metadata,
            Data = data,
        };
    }
}
