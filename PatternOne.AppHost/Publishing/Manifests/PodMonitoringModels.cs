using System.Text.Json.Serialization;
using k8s.Models;

namespace PatternOne.AppHost.Publishing.Manifests;

// A typed model of GKE Managed Service for Prometheus' PodMonitoring (monitoring.googleapis.com/v1), the fields we
// write; names as in its CRD (GoogleCloudPlatform/prometheus-engine).

/// <summary>GKE Managed Prometheus <c>PodMonitoring</c>: scrape the selected pods of its namespace.</summary>
public sealed class PodMonitoring() : CustomResource<PodMonitoringSpec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1", KubeGroup = "monitoring.googleapis.com", KubeKind = "PodMonitoring";
}

public sealed class PodMonitoringSpec
{
    [JsonPropertyName("selector")] public V1LabelSelector Selector { get; set; } = new();
    [JsonPropertyName("endpoints")] public IList<ScrapeEndpoint> Endpoints { get; set; } = [];
}

public sealed class ScrapeEndpoint
{
    /// <summary>Name or number of the container port (int-or-string in the CRD).</summary>
    [JsonPropertyName("port")] public IntOrString Port { get; set; } = "";
    [JsonPropertyName("path")] public string? Path { get; set; }

    /// <summary><c>http</c> (the default when omitted) or <c>https</c>.</summary>
    [JsonPropertyName("scheme")] public string? Scheme { get; set; }

    /// <summary>Prometheus duration, e.g. <c>15s</c>.</summary>
    [JsonPropertyName("interval")] public string? Interval { get; set; }

    [JsonPropertyName("tls")] public ScrapeTls? Tls { get; set; }
}

public sealed class ScrapeTls
{
    [JsonPropertyName("insecureSkipVerify")] public bool? InsecureSkipVerify { get; set; }
}
