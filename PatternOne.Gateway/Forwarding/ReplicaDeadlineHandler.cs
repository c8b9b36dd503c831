namespace PatternOne.Gateway.Forwarding;

/// <summary>
/// Bounds the wait for a replica's response headers: by <see cref="GatewayForwardingOptions.HeadersTimeout"/>, and by
/// the replica being found unresponsive (<see cref="UnresponsiveSignal"/>, set per request). Either way nothing has reached
/// the client yet, so the failure is reported as one before any response (<see cref="HttpRequestException"/>), which the
/// gateway answers by trying the next endpoint. Once the headers are in, the body is the stream guard's business.
/// </summary>
internal sealed class ReplicaDeadlineHandler(HttpMessageHandler inner, TimeSpan headersTimeout, TimeProvider timeProvider) : DelegatingHandler(inner)
{
    /// <summary>The request option carrying the replica's unresponsive signal.</summary>
    public static readonly HttpRequestOptionsKey<CancellationToken> UnresponsiveSignal = new("patternone.replica-unresponsive");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.TryGetValue(UnresponsiveSignal, out var unresponsive);
        using var headers = headersTimeout > TimeSpan.Zero ? new CancellationTokenSource(headersTimeout, timeProvider) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, unresponsive, headers?.Token ?? CancellationToken.None);
        try
        {
            return await base.SendAsync(request, linked.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && (unresponsive.IsCancellationRequested || headers?.IsCancellationRequested == true))
        {
            var why = unresponsive.IsCancellationRequested
                ? "stopped answering its health probe"
                : $"sent no response headers within {headersTimeout.TotalSeconds:0.###} s";
            throw new HttpRequestException($"The model server {request.RequestUri?.Authority} {why}.", new ReplicaUnresponsiveException(why, ex));
        }
    }
}

/// <summary>The replica was given up on before it answered (see <see cref="ReplicaDeadlineHandler"/>).</summary>
public sealed class ReplicaUnresponsiveException(string message, Exception inner) : TimeoutException(message, inner);
