using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Forwarding;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// Asks a pool's endpoint picker where one request should go, the way Envoy's ext_proc filter does: request headers,
/// then the body; the answer names the endpoint(s), may rewrite headers and body, or answers the client directly.
/// </summary>
public interface IEndpointPickerClient
{
    /// <summary>Never throws for a picker failure: that is <see cref="PickStatus.Unavailable"/>.</summary>
    ValueTask<PickResult> PickAsync(PickRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the pool's picker answers at all, as Envoy's active gRPC health check of an ext_proc cluster asks it:
    /// <c>grpc.health.v1.Health/Check</c> on the ext_proc address. Null when it answers and serves; otherwise why not.
    /// </summary>
    Task<string?> ProbeAsync(GatewayPoolOptions pool, CancellationToken cancellationToken);
}

/// <summary>
/// One request as the picker sees it: lower-cased headers including the pseudo-headers (<c>:method</c>, <c>:path</c>
/// after the rewrite, <c>:authority</c>, <c>:scheme</c>), and the body (null for a body-less call).
/// </summary>
public sealed record PickRequest(GatewayPoolOptions Pool, IReadOnlyList<KeyValuePair<string, string>> Headers, BufferedBody? Body)
{
    /// <summary>
    /// The gateway's own start-up exchange (<see cref="PickerWarmup"/>), not a client's: left out of the pick metrics and
    /// the per-pick logs, which describe what users get; the warm-up reports its outcome itself.
    /// </summary>
    public bool IsWarmup { get; init; }
}

public enum PickStatus
{
    /// <summary>The picker named at least one endpoint.</summary>
    Picked,

    /// <summary>The picker answered the request itself (400 bad body, 429 saturated, 503 no endpoints…).</summary>
    Immediate,

    /// <summary>Unreachable, too slow, broken stream or no usable endpoint: the pool's failure mode applies.</summary>
    Unavailable,
}

/// <summary>The picker's decision.</summary>
public sealed class PickResult
{
    public required PickStatus Status { get; init; }

    /// <summary>Endpoints in the picker's order of preference (Picked).</summary>
    public IReadOnlyList<EndpointAddress> Endpoints { get; init; } = [];

    /// <summary>Header changes for the forwarded request (Picked).</summary>
    public HeaderMutations RequestHeaders { get; init; } = HeaderMutations.None;

    /// <summary>The body the picker re-emitted, which replaces the original; null keeps the original (Picked).</summary>
    public BufferedBody? Body { get; init; }

    /// <summary>The picker's own answer (Immediate).</summary>
    public ImmediateReply? Immediate { get; init; }

    /// <summary>Why the picker could not be used (Unavailable); a short token for logs and metrics.</summary>
    public string? FailureReason { get; init; }

    public Exception? Exception { get; init; }

    /// <summary>The open exchange, for the response phase; disposed by whoever forwards the request.</summary>
    public IPickExchange? Exchange { get; init; }

    public static PickResult Unavailable(string reason, Exception? exception = null) =>
        new() { Status = PickStatus.Unavailable, FailureReason = reason, Exception = exception };
}

/// <summary>An answer the picker gives instead of an endpoint.</summary>
public sealed record ImmediateReply(int StatusCode, HeaderMutations Headers, ReadOnlyMemory<byte> Body, string? Details);

/// <summary>Header changes in Envoy's terms, free of the protobuf types.</summary>
public sealed record HeaderMutations(IReadOnlyList<HeaderSet> Set, IReadOnlyList<string> Remove)
{
    public static HeaderMutations None { get; } = new([], []);

    public bool IsEmpty => Set.Count == 0 && Remove.Count == 0;
}

/// <summary>One header to set, and how it meets a header of the same name already there.</summary>
public sealed record HeaderSet(string Name, string Value, HeaderAction Action);

/// <summary>Envoy's <c>HeaderAppendAction</c>, with ext_proc's reading of an unset <c>append</c> as overwrite.</summary>
public enum HeaderAction
{
    Overwrite,
    Append,
    AddIfAbsent,
    OverwriteIfExists,
}

/// <summary>
/// The rest of one request's ext_proc stream after the decision. The stream stays open while the request is forwarded,
/// so the picker learns which endpoint served it (and when the request ended, when the exchange is disposed) — what
/// its in-flight accounting and prefix index rely on.
/// </summary>
public interface IPickExchange : IAsyncDisposable
{
    /// <summary>
    /// Sends the upstream's response headers with <c>envoy.lb/x-gateway-destination-endpoint-served</c> and returns
    /// the picker's header changes for the client's response; None when it does not answer in time.
    /// </summary>
    ValueTask<HeaderMutations> ResponseHeadersAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers,
        EndpointAddress served, bool endOfStream, CancellationToken cancellationToken);
}
