namespace PatternOne.ExtProcContract;

/// <summary>
/// The names the endpoint-picker protocol fixes on top of ext_proc (Gateway API Inference Extension, protocol v1):
/// headers, dynamic-metadata keys, drop reasons and limits. Shared by the gateway (the proxy's side) and the scheduler
/// (the picker's side), so the two can never disagree.
/// </summary>
public static class ExtProcNames
{
    /// <summary>The gRPC service name, also the name its health status is reported under.</summary>
    public const string ServiceName = "envoy.service.ext_proc.v3.ExternalProcessor";

    /// <summary>The chosen endpoint(s), <c>ip:port[,ip:port…]</c>: a request header and a key in <see cref="LbNamespace"/>.</summary>
    public const string DestinationEndpoint = "x-gateway-destination-endpoint";

    /// <summary>Dynamic-metadata namespace that carries the destination (picker → proxy) and the served endpoint (proxy → picker).</summary>
    public const string LbNamespace = "envoy.lb";

    /// <summary>Key in <see cref="LbNamespace"/> of the endpoint that actually served the request (protocol v1.0.0).</summary>
    public const string ServedEndpoint = "x-gateway-destination-endpoint-served";

    /// <summary>Metadata namespace of the subset hint: the only endpoints the picker may choose from.</summary>
    public const string SubsetHintNamespace = "envoy.lb.subset_hint";

    /// <summary>Key in <see cref="SubsetHintNamespace"/> with the list of candidate <c>ip:port</c>s.</summary>
    public const string SubsetHintKey = "x-gateway-destination-endpoint-subset";

    /// <summary>Response header on a refused request naming why (<see cref="ReasonSaturated"/>, <see cref="ReasonNoEndpoints"/>).</summary>
    public const string DroppedReasonHeader = "x-llm-d-request-dropped-reason";

    public const string ReasonSaturated = "rejected-saturated";

    public const string ReasonNoEndpoints = "rejected-no-endpoints";

    /// <summary>Names the request's InferenceObjective, whose priority decides whether it may be shed (llm-d-router).</summary>
    public const string ObjectiveHeader = "x-llm-d-inference-objective";

    /// <summary>The GIE v1.x name of <see cref="ObjectiveHeader"/>, still read when the current one is absent.</summary>
    public const string LegacyObjectiveHeader = "x-gateway-inference-objective";

    /// <summary>Request id, generated when the client sent none.</summary>
    public const string RequestIdHeader = "x-request-id";

    /// <summary>Envoy's header for the path before a rewrite.</summary>
    public const string OriginalPathHeader = "x-envoy-original-path";

    /// <summary>Largest body chunk in one ext_proc message: some Envoys cap a chunk at 64 KB.</summary>
    public const int BodyByteLimit = 62_000;
}
