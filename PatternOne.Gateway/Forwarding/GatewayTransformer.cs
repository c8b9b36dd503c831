using Microsoft.Net.Http.Headers;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Observability;
using PatternOne.Gateway.Picking;
using PatternOne.Gateway.Pools;
using Yarp.ReverseProxy.Forwarder;

namespace PatternOne.Gateway.Forwarding;

/// <summary>
/// Per request: the rewritten path, forwarded headers and the picker's header changes on the way out; the picker's
/// response phase and header hygiene on the way back.
/// </summary>
internal sealed class GatewayTransformer(
    PathString rewrittenPath,
    PathString matchedPrefix,
    HeaderMutations requestMutations,
    IPickExchange? exchange,
    Microsoft.Extensions.Logging.ILogger logger) : HttpTransformer
{
    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedProto = "X-Forwarded-Proto";
    private const string ForwardedHost = "X-Forwarded-Host";
    private const string ForwardedPrefix = "X-Forwarded-Prefix";

    /// <summary>
    /// Envoy's response header: milliseconds from sending the request to the replica that answered until its response
    /// headers. With the client's own clock it tells how long the gateway held a request before the answering attempt
    /// (the reliability benchmark judges hung replicas by it).
    /// </summary>
    public const string UpstreamServiceTimeHeader = "x-envoy-upstream-service-time";

    /// <summary>The endpoint of the current attempt, reported to the picker as the served endpoint.</summary>
    public EndpointAddress? Endpoint { get; set; }

    /// <summary>Fires when the gateway finds the current attempt's replica unresponsive (hung).</summary>
    public CancellationToken Unresponsive { get; set; }

    /// <summary>Where the current attempt reports the replica's signs of life; null outside the gateway's own view.</summary>
    public EndpointLiveness? Liveness { get; set; }

    /// <summary>Timestamp at which the current attempt was sent, for <see cref="UpstreamServiceTimeHeader"/>.</summary>
    private long _attemptStarted;

    /// <summary>Fires when the gateway's drain timeout has passed after SIGTERM: open streams end now.</summary>
    public CancellationToken DrainDeadline { get; init; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
        CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        _attemptStarted = TimeProvider.System.GetTimestamp();
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, rewrittenPath, httpContext.Request.QueryString);
        proxyRequest.Options.Set(ReplicaDeadlineHandler.UnresponsiveSignal, Unresponsive);
        proxyRequest.Options.Set(ReplicaDeadlineHandler.DrainSignal, DrainDeadline);

        var request = httpContext.Request;
        var headers = proxyRequest.Headers;

        // The body is already buffered (the picker needed it), so a replica's 100 Continue gates nothing; forwarding the
        // header only risks the client handler's 1 s wait for it racing the request's failure, which can start a copy
        // of the body after the attempt ended. Envoy's default (proxy_100_continue off) also answers it at the edge.
        headers.ExpectContinue = null;
        headers.Remove("Expect");
        var clientAddress = httpContext.Connection.RemoteIpAddress?.ToString();
        var priorFor = request.Headers[ForwardedFor].ToString();
        headers.Remove(ForwardedFor);
        if (clientAddress is not null)
        {
            headers.TryAddWithoutValidation(ForwardedFor, string.IsNullOrEmpty(priorFor) ? clientAddress : priorFor + ", " + clientAddress);
        }

        Replace(proxyRequest, ForwardedProto, request.Scheme);
        Replace(proxyRequest, ForwardedHost, request.Host.Value ?? "");
        if (matchedPrefix.HasValue)
        {
            Replace(proxyRequest, ForwardedPrefix, matchedPrefix.Value!);
        }

        foreach (var name in requestMutations.Remove)
        {
            if (!IsReserved(name))
            {
                Remove(proxyRequest, name);
            }
        }

        foreach (var set in requestMutations.Set)
        {
            if (IsReserved(set.Name))
            {
                GatewayLog.PickerMutationIgnored(logger, set.Name);
                continue;
            }

            var exists = proxyRequest.Headers.Contains(set.Name) || proxyRequest.Content?.Headers.Contains(set.Name) == true;
            switch (set.Action)
            {
                case HeaderAction.Append:
                    Add(proxyRequest, set.Name, set.Value);
                    break;
                case HeaderAction.AddIfAbsent when !exists:
                case HeaderAction.OverwriteIfExists when exists:
                case HeaderAction.Overwrite:
                    Replace(proxyRequest, set.Name, set.Value);
                    break;
            }
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse,
        CancellationToken cancellationToken)
    {
        var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is null)
        {
            return copyBody;
        }

        Liveness?.SignOfLife();
        if (Endpoint is not null)
        {
            StreamCutGuard.Wrap(httpContext, proxyResponse, Endpoint.Authority, Unresponsive, Liveness, DrainDeadline);
        }

        var responseHeaders = httpContext.Response.Headers;
        responseHeaders.Remove(HeaderNames.Server);
        responseHeaders[UpstreamServiceTimeHeader] = ((long)TimeProvider.System.GetElapsedTime(_attemptStarted).TotalMilliseconds)
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (exchange is not null && Endpoint is not null)
        {
            var reported = new List<KeyValuePair<string, string>>();
            foreach (var (name, values) in responseHeaders)
            {
                reported.Add(new(name.ToLowerInvariant(), values.ToString()));
            }

            var endOfStream = proxyResponse.Content.Headers.ContentLength == 0;
            var mutations = await exchange.ResponseHeadersAsync((int)proxyResponse.StatusCode, reported, Endpoint, endOfStream, cancellationToken);
            foreach (var name in mutations.Remove)
            {
                if (!IsReserved(name))
                {
                    responseHeaders.Remove(name);
                }
            }

            foreach (var set in mutations.Set)
            {
                if (IsReserved(set.Name))
                {
                    continue;
                }

                var exists = responseHeaders.ContainsKey(set.Name);
                switch (set.Action)
                {
                    case HeaderAction.Append:
                        responseHeaders.Append(set.Name, set.Value);
                        break;
                    case HeaderAction.AddIfAbsent when !exists:
                    case HeaderAction.OverwriteIfExists when exists:
                    case HeaderAction.Overwrite:
                        responseHeaders[set.Name] = set.Value;
                        break;
                }
            }
        }

        return copyBody;
    }

    /// <summary>Headers that describe the connection or the body's framing belong to the gateway, not the picker.</summary>
    internal static bool IsReserved(string name) =>
        name.StartsWith(':')
        || name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.KeepAlive, StringComparison.OrdinalIgnoreCase)
        || name.Equals(HeaderNames.TE, StringComparison.OrdinalIgnoreCase);

    private static void Replace(HttpRequestMessage request, string name, string value)
    {
        Remove(request, name);
        Add(request, name, value);
    }

    private static void Add(HttpRequestMessage request, string name, string value)
    {
        if (!request.Headers.TryAddWithoutValidation(name, value))
        {
            request.Content?.Headers.TryAddWithoutValidation(name, value);
        }
    }

    private static void Remove(HttpRequestMessage request, string name)
    {
        request.Headers.Remove(name);
        request.Content?.Headers.Remove(name);
    }
}
