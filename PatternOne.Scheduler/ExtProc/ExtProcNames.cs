namespace PatternOne.Scheduler.ExtProc;

/// <summary>The endpoint-picker protocol's names (GIE proposal 004, llm-d-router <c>metadata/consts.go</c>).</summary>
public static class ExtProcNames
{
    /// <summary>The gRPC service; also a grpc.health.v1 service name Envoy health-checks.</summary>
    public const string ServiceName = "envoy.service.ext_proc.v3.ExternalProcessor";

    /// <summary>Request header (and <c>envoy.lb</c> metadata key) naming the chosen <c>ip:port[,ip:port…]</c>.</summary>
    public const string DestinationEndpoint = "x-gateway-destination-endpoint";

    /// <summary>Dynamic metadata namespace of the destination, and of the served endpoint on the response path.</summary>
    public const string LbNamespace = "envoy.lb";

    /// <summary><c>envoy.lb</c> key the proxy sets to the endpoint it actually used.</summary>
    public const string ServedEndpoint = "x-gateway-destination-endpoint-served";

    /// <summary>Metadata namespace of the subset hint.</summary>
    public const string SubsetHintNamespace = "envoy.lb.subset_hint";

    /// <summary>Key of the subset hint: a list of <c>ip:port</c> the pick must stay within.</summary>
    public const string SubsetHintKey = "x-gateway-destination-endpoint-subset";

    /// <summary>Response header carrying why a request was refused.</summary>
    public const string DroppedReasonHeader = "x-llm-d-request-dropped-reason";

    public const string ReasonSaturated = "rejected-saturated";
    public const string ReasonNoEndpoints = "rejected-no-endpoints";

    public const string RequestIdHeader = "x-request-id";

    /// <summary>Largest body chunk re-emitted in one message (upstream <c>BodyByteLimit</c>; some Envoys cap chunks at 64 KB).</summary>
    public const int BodyByteLimit = 62_000;
}
