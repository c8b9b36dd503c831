namespace PatternOne.Gateway.Forwarding;

/// <summary>
/// Bounds the wait for a replica's response headers: by <see cref="GatewayForwardingOptions.HeadersTimeout"/>, and by
/// the replica being found unresponsive (<see cref="UnresponsiveSignal"/>, set per request), and by the gateway's drain
/// deadline (<see cref="DrainSignal"/>: the request handler then answers 503 rather than retrying). Either way nothing has reached
/// the client yet, so the failure is reported as one before any response (<see cref="HttpRequestException"/>), which the
/// gateway answers by trying the next endpoint. Once the headers are in, the body is the stream guard's business.
/// </summary>
internal sealed class ReplicaDeadlineHandler(HttpMessageHandler inner, TimeSpan headersTimeout, TimeProvider timeProvider) : DelegatingHandler(inner)
{
    /// <summary>The request option carrying the replica's unresponsive signal.</summary>
    public static readonly HttpRequestOptionsKey<CancellationToken> UnresponsiveSignal = new("patternone.replica-unresponsive");

    /// <summary>The request option carrying the gateway's drain deadline: a request still waiting for headers then is given up on too.</summary>
    public static readonly HttpRequestOptionsKey<CancellationToken> DrainSignal = new("patternone.gateway-drained");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.TryGetValue(UnresponsiveSignal, out var unresponsive);
        request.Options.TryGetValue(DrainSignal, out var drained);
        using var headers = headersTimeout > TimeSpan.Zero ? new CancellationTokenSource(headersTimeout, timeProvider) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource([cancellationToken, unresponsive, drained, headers?.Token ?? CancellationToken.None]);
        try
        {
            return await base.SendAsync(request, linked.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested
            && (unresponsive.IsCancellationRequested || drained.IsCancellationRequested || headers?.IsCancellationRequested == true))
        {
            var why = drained.IsCancellationRequested
                ? "had not answered when the gateway's drain timeout ran out"
                : unresponsive.IsCancellationRequested
                ? "stopped answering its health probe"
                : $"sent no response headers within {headersTimeout.TotalSeconds:0.###} s";
            throw new HttpRequestException($"The model server {request.RequestUri?.Authority} {why}.", new ReplicaUnresponsiveException(why, ex));
        }
    }
}

/// <summary>The replica was given up on before it answered (see <see cref="ReplicaDeadlineHandler"/>).</summary>
public sealed class ReplicaUnresponsiveException(string message, Exception inner) : TimeoutException(message, inner);
