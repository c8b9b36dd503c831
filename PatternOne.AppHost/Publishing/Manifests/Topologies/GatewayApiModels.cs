using System.Text.Json.Serialization;
using k8s.Models;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

// Typed models of the Gateway API v1 objects we write (field names as in the v1.3.0 standard-channel CRDs).
// KubernetesClient has no models for CRDs; typed beats dictionaries because a misspelt property fails to compile.

/// <summary>Gateway API <c>Gateway</c> (gateway.networking.k8s.io/v1).</summary>
public sealed class GatewayApiGateway() : CustomResource<GatewaySpec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1", KubeGroup = "gateway.networking.k8s.io", KubeKind = "Gateway";
}

public sealed class GatewaySpec
{
    [JsonPropertyName("gatewayClassName")] public string GatewayClassName { get; set; } = "";
    [JsonPropertyName("infrastructure")] public GatewayInfrastructure? Infrastructure { get; set; }
    [JsonPropertyName("listeners")] public IList<GatewayListener> Listeners { get; set; } = [];
}

/// <summary>How the implementation deploys the gateway; Istio reads a ConfigMap of overlays from <c>parametersRef</c>.</summary>
public sealed class GatewayInfrastructure
{
    [JsonPropertyName("parametersRef")] public LocalParametersReference? ParametersRef { get; set; }
}

public sealed class LocalParametersReference
{
    [JsonPropertyName("group")] public string Group { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
}

public sealed class GatewayListener
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("port")] public int Port { get; set; }
    [JsonPropertyName("protocol")] public string Protocol { get; set; } = "";
    [JsonPropertyName("allowedRoutes")] public AllowedRoutes? AllowedRoutes { get; set; }
    [JsonPropertyName("tls")] public GatewayTlsConfig? Tls { get; set; }
}

public sealed class AllowedRoutes
{
    [JsonPropertyName("namespaces")] public RouteNamespaces? Namespaces { get; set; }
}

public sealed class RouteNamespaces
{
    /// <summary><c>All</c>, <c>Same</c> (default) or <c>Selector</c>.</summary>
    [JsonPropertyName("from")] public string From { get; set; } = "";
    [JsonPropertyName("selector")] public V1LabelSelector? Selector { get; set; }
}

public sealed class GatewayTlsConfig
{
    [JsonPropertyName("mode")] public string Mode { get; set; } = "Terminate";
    [JsonPropertyName("certificateRefs")] public IList<SecretObjectReference> CertificateRefs { get; set; } = [];
}

public sealed class SecretObjectReference
{
    [JsonPropertyName("group")] public string Group { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Secret";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
}

/// <summary>Gateway API <c>HTTPRoute</c> (gateway.networking.k8s.io/v1).</summary>
public sealed class GatewayApiHttpRoute() : CustomResource<HttpRouteSpec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1", KubeGroup = "gateway.networking.k8s.io", KubeKind = "HTTPRoute";
}

public sealed class HttpRouteSpec
{
    [JsonPropertyName("parentRefs")] public IList<ParentReference> ParentRefs { get; set; } = [];
    [JsonPropertyName("rules")] public IList<HttpRouteRule> Rules { get; set; } = [];
}

public sealed class ParentReference
{
    [JsonPropertyName("group")] public string Group { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
}

public sealed class HttpRouteRule
{
    [JsonPropertyName("matches")] public IList<HttpRouteMatch> Matches { get; set; } = [];
    [JsonPropertyName("filters")] public IList<HttpRouteFilter>? Filters { get; set; }
    [JsonPropertyName("backendRefs")] public IList<HttpBackendReference> BackendRefs { get; set; } = [];
    [JsonPropertyName("timeouts")] public HttpRouteTimeouts? Timeouts { get; set; }
}

public sealed class HttpRouteMatch
{
    [JsonPropertyName("path")] public HttpPathMatch Path { get; set; } = new();
}

public sealed class HttpPathMatch
{
    [JsonPropertyName("type")] public string Type { get; set; } = "PathPrefix";
    [JsonPropertyName("value")] public string Value { get; set; } = "/";
}

public sealed class HttpRouteFilter
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("urlRewrite")] public HttpUrlRewriteFilter? UrlRewrite { get; set; }
}

public sealed class HttpUrlRewriteFilter
{
    [JsonPropertyName("path")] public HttpPathModifier? Path { get; set; }
}

public sealed class HttpPathModifier
{
    [JsonPropertyName("type")] public string Type { get; set; } = "ReplacePrefixMatch";
    [JsonPropertyName("replacePrefixMatch")] public string? ReplacePrefixMatch { get; set; }

    /// <summary>With <c>type: ReplaceFullPath</c>: the whole path the backend sees.</summary>
    [JsonPropertyName("replaceFullPath")] public string? ReplaceFullPath { get; set; }
}

public sealed class HttpBackendReference
{
    [JsonPropertyName("group")] public string Group { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("port")] public int? Port { get; set; }
    [JsonPropertyName("weight")] public int? Weight { get; set; }
}

/// <summary>Gateway API durations; <c>0s</c> disables the timeout (long streamed generations).</summary>
public sealed class HttpRouteTimeouts
{
    [JsonPropertyName("request")] public string? Request { get; set; }
    [JsonPropertyName("backendRequest")] public string? BackendRequest { get; set; }
}
