using System.Text.Json.Serialization;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// Istio <c>DestinationRule</c> (networking.istio.io/v1): how the gateway's Envoy connects to a host. Only the TLS
/// settings the endpoint picker needs are modelled.
/// </summary>
public sealed class IstioDestinationRule() : CustomResource<DestinationRuleSpec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1", KubeGroup = "networking.istio.io", KubeKind = "DestinationRule";
}

public sealed class DestinationRuleSpec
{
    /// <summary>The Service's fully qualified name, e.g. <c>epp.ns.svc.cluster.local</c>.</summary>
    [JsonPropertyName("host")] public string Host { get; set; } = "";
    [JsonPropertyName("trafficPolicy")] public TrafficPolicy? TrafficPolicy { get; set; }
}

public sealed class TrafficPolicy
{
    [JsonPropertyName("tls")] public ClientTlsSettings? Tls { get; set; }
}

public sealed class ClientTlsSettings
{
    /// <summary><c>SIMPLE</c>: TLS to the upstream without a client certificate.</summary>
    [JsonPropertyName("mode")] public string Mode { get; set; } = "SIMPLE";
    [JsonPropertyName("insecureSkipVerify")] public bool? InsecureSkipVerify { get; set; }
}
