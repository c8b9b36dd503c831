namespace PatternOne.Gateway.Picking;

/// <summary>The names of the endpoint-picker protocol (Gateway API Inference Extension, proposal 004).</summary>
public static class ExtProcNames
{
    /// <summary>Request header the picker sets: <c>ip:port[,ip:port…]</c>, the first usable one wins.</summary>
    public const string DestinationEndpointHeader = "x-gateway-destination-endpoint";

    /// <summary>Dynamic-metadata namespace carrying the same value (and, back to the picker, the served endpoint).</summary>
    public const string LoadBalancerNamespace = "envoy.lb";

    /// <summary>Key under <see cref="LoadBalancerNamespace"/> naming the endpoint that actually served the request.</summary>
    public const string ServedEndpointKey = "x-gateway-destination-endpoint-served";

    public const string RequestIdHeader = "x-request-id";

    /// <summary>The request path before the route rewrote it, as Envoy reports it.</summary>
    public const string OriginalPathHeader = "x-envoy-original-path";
}
