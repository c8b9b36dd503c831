namespace PatternOne.Gateway.Picking;

/// <summary>
/// Sends the request phase of one ext_proc stream — the HTTP/2 HEADERS, the request_headers message and the body's
/// messages — in one write to the socket instead of one per message. Grpc.Net.Client flushes after every message and
/// ignores <c>WriteFlags.BufferHint</c> on the client side (only the server honours it), so each message would leave
/// as its own TCP send, and the picker's Kestrel would process each as a separate read. The messages, their order
/// and their framing stay exactly what gRPC writes; only the flushes before the last one are held.
/// <code>
///  ExtProcEndpointPickerClient           RequestPhaseCoalescingHandler → HeldFlushStream          socket
///   using (batch.Begin()) Process()  ──▶  wraps the call's request content
///   HEADERS flush (PushStreamContent) ──▶ held
///   request_headers, flush            ──▶ copied, flush held
///   batch.LastWriteFollows()
///   request_body (last), flush        ──▶ one write of everything held + this message, then the flush ──▶ one send
///   response phase, half-close        ──▶ passed through as gRPC writes them
/// </code>
/// At most <see cref="MaxHeldBytes"/> are held: a bigger request phase sends what is held first and the rest as gRPC
/// would, so no write waits for flow-control credit while bytes of its stream sit unsent (HTTP/2's default stream
/// window is 64 KB, Kestrel's 768 KB).
/// </summary>
internal sealed class RequestPhaseBatch
{
    /// <summary>One HTTP/2 DATA frame's default maximum payload: a small request phase goes out as one frame.</summary>
    internal const int MaxHeldBytes = 16 * 1024;

    private static readonly AsyncLocal<RequestPhaseBatch?> Starting = new();

    private volatile bool _lastWriteFollows;

    /// <summary>The batch of the call being started on this flow, read by the handler when gRPC sends the request.</summary>
    internal static RequestPhaseBatch? Current => Starting.Value;

    /// <summary>
    /// The call is opened before its request (<see cref="PrestartedPickerCalls"/>): the HTTP/2 HEADERS go out at once, so
    /// the picker has the stream ready; the request's messages are still held and sent together when they come.
    /// </summary>
    public bool SendsHeadersAhead { get; init; }

    /// <summary>The next message write ends the request phase: it and everything held go out together.</summary>
    internal bool EndsWithNextWrite => _lastWriteFollows;

    /// <summary>Marks the calls started until the scope ends (gRPC sends the HTTP request from inside <c>Process</c>).</summary>
    public Scope Begin()
    {
        var previous = Starting.Value;
        Starting.Value = this;
        return new Scope(previous);
    }

    public void LastWriteFollows() => _lastWriteFollows = true;

    public readonly struct Scope(RequestPhaseBatch? previous) : IDisposable
    {
        public void Dispose() => Starting.Value = previous;
    }
}
