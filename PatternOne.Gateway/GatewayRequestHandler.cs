using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Forwarding;
using PatternOne.Gateway.Observability;
using PatternOne.Gateway.Picking;
using PatternOne.Gateway.Pools;
using PatternOne.Gateway.Routing;
using PatternOne.ServiceDefaults.Shutdown;
using Yarp.ReverseProxy.Forwarder;

namespace PatternOne.Gateway;

/// <summary>
/// One client request's journey through the gateway:
/// <code>
///  (1) route       path prefix → pool; else, or an operational path,
///                  404                                              Routing/
///  (2) read body   once, in ≤ 62,000-byte pooled segments; 413, 400  Forwarding/BufferedBody
///  (3) pick        ext_proc stream to the pool's endpoint picker     Picking/
///                  → endpoints | immediate response | unavailable (FailOpen: own view, FailClose: 503)
///  (4) forward     YARP to the first endpoint; refused/reset before
///                  any response byte → next endpoint                 Forwarding/
///  (5) respond     picker's response phase (served endpoint), SSE
///                  streamed through, client abort cancels upstream;
///                  replica failing mid-stream, or the gateway's drain
///                  timeout passing → SSE error event, abort         Forwarding/StreamCutGuard
/// </code>
/// Body-less calls (<c>GET /v1/models</c>) skip (2)–(3) and go to a ready endpoint of the gateway's own view (Pools/).
/// </summary>
internal sealed class GatewayRequestHandler(
    IRouteTable routes,
    PoolViews pools,
    IEndpointPickerClient picker,
    IHttpForwarder forwarder,
    UpstreamHttpClient upstream,
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    DrainState drain,
    TimeProvider timeProvider,
    ILogger<GatewayRequestHandler> logger)
{
    /// <summary>Metrics status of a request whose client went away (nginx's convention).</summary>
    internal const int ClientClosedRequest = 499;

    private readonly GatewayLimitsOptions _limits = options.Value.Limits;
    private readonly int _maxAttempts = options.Value.Forwarding.MaxAttempts;

    public async Task HandleAsync(HttpContext context)
    {
        var started = timeProvider.GetTimestamp();
        var requestId = EnsureRequestId(context.Request);
        context.Response.OnStarting(static state =>
        {
            var (response, id) = ((HttpResponse, string))state;
            response.Headers[ExtProcNames.RequestIdHeader] = id;
            // The replica's banner (uvicorn, Kestrel) is not ours to pass on.
            response.Headers.Remove(HeaderNames.Server);
            return Task.CompletedTask;
        }, (context.Response, requestId));

        var labels = new RequestLabels { Started = started };
        try
        {
            await HandleCoreAsync(context, labels);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left; there is no one to answer.
            labels.ClientGone = true;
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            // Last resort: whatever went wrong, the client gets a status and an OpenAI-style body, not Kestrel's empty 500.
            GatewayLog.UnexpectedFailure(logger, exception);
            context.Response.Clear();
            await OpenAiError.WriteAsync(context, StatusCodes.Status502BadGateway,
                "The gateway could not complete the request.", OpenAiError.ServerError, "gateway_error");
        }
        finally
        {
            RecordOnce(context, labels);
        }
    }

    /// <summary>
    /// Records the request's metrics once: as soon as the client's response is complete (before the picker's stream
    /// is closed, which may take a moment), or at the end of handling for every other outcome.
    /// </summary>
    private void RecordOnce(HttpContext context, RequestLabels labels)
    {
        if (labels.Recorded)
        {
            return;
        }

        labels.Recorded = true;
        // 499 as nginx and Envoy's access logs count it: the client left before the answer was complete.
        var status = labels.ClientGone ? ClientClosedRequest : context.Response.StatusCode;
        metrics.RecordRequest(labels.Route, labels.Pool, status, labels.Upstream, timeProvider.GetElapsedTime(labels.Started));
    }

    private async Task HandleCoreAsync(HttpContext context, RequestLabels labels)
    {
        var request = context.Request;

        // (1) A route's operational paths answer exactly as a path outside every route does.
        if (!routes.TryMatch(request.Path, out var match)
            || (!match.Route.ExposeOperationalEndpoints && !PublicSurface.IsPublic(match.RewrittenPath)))
        {
            await OpenAiError.WriteAsync(context, StatusCodes.Status404NotFound,
                $"Invalid URL ({request.Method} {request.Path}): no route of this gateway matches it.", OpenAiError.InvalidRequest, "not_found");
            return;
        }

        labels.Route = match.Route.Label;
        labels.Pool = match.Route.Pool;
        var pool = pools[match.Route.Pool];

        if (!CanHaveBody(request))
        {
            await ForwardBodylessAsync(context, match, pool, labels);
            return;
        }

        // (2)
        if (request.ContentLength > _limits.MaxRequestBodySize)
        {
            await RequestTooLargeAsync(context);
            return;
        }

        BufferedBody? body;
        try
        {
            body = await BufferedBody.ReadAsync(request.Body, _limits.MaxRequestBodySize, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body = null;
        }
        catch (BadHttpRequestException ex)
        {
            await OpenAiError.WriteAsync(context, ex.StatusCode, "The request body could not be read: " + ex.Message, OpenAiError.InvalidRequest, "invalid_body");
            return;
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            labels.ClientGone = true;
            return;
        }

        if (body is null)
        {
            await RequestTooLargeAsync(context);
            return;
        }

        using (body)
        {
            if (_limits.ValidateJson && IsJson(request.ContentType) && !body.IsJsonObject(out var reason))
            {
                GatewayLog.RequestBodyNotJson(logger, reason);
                await OpenAiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                    "We could not parse the JSON body of your request: " + reason, OpenAiError.InvalidRequest, "invalid_json");
                return;
            }

            // (3)
            var pick = await picker.PickAsync(new PickRequest(pool.Options, PickerHeaders(context, match, body.Length), body), context.RequestAborted);
            await using var exchange = pick.Exchange;
            IReadOnlyList<EndpointAddress> candidates;
            switch (pick.Status)
            {
                case PickStatus.Immediate:
                    await WriteImmediateAsync(context, pick.Immediate!);
                    return;

                case PickStatus.Unavailable when pool.Options.FailureMode == FailureMode.FailClose:
                    await OpenAiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                        $"The endpoint picker of pool '{pool.Name}' is unavailable ({pick.FailureReason}).", OpenAiError.ServerError, "endpoint_picker_unavailable");
                    return;

                case PickStatus.Unavailable:
                    candidates = pool.ReadyInRotation();
                    break;

                default:
                    // The picker's choices first, then the rest of the gateway's own view as a last resort.
                    candidates = [.. pick.Endpoints, .. pool.ReadyInRotation().Where(e => !pick.Endpoints.Contains(e))];
                    break;
            }

            // (4) + (5)
            await ForwardAsync(context, match, pool, candidates, pick.Body ?? body, pick.RequestHeaders, exchange, labels);
        }
    }

    private async Task ForwardBodylessAsync(HttpContext context, RouteMatch match, PoolView pool, RequestLabels labels)
    {
        var candidates = pool.ReadyInRotation();
        if (candidates.Count > 0 || string.IsNullOrWhiteSpace(pool.Options.EndpointPicker))
        {
            await ForwardAsync(context, match, pool, candidates, body: null, HeaderMutations.None, exchange: null, labels);
            return;
        }

        // No own view (a cluster config that leaves it to the picker): ask the picker, which picks any endpoint for a
        // header-only request.
        var pick = await picker.PickAsync(new PickRequest(pool.Options, PickerHeaders(context, match, bodyLength: 0), Body: null), context.RequestAborted);
        await using var exchange = pick.Exchange;
        if (pick.Status == PickStatus.Immediate)
        {
            await WriteImmediateAsync(context, pick.Immediate!);
            return;
        }

        await ForwardAsync(context, match, pool, pick.Endpoints, body: null, pick.RequestHeaders, exchange, labels);
    }

    private async Task ForwardAsync(HttpContext context, RouteMatch match, PoolView pool, IReadOnlyList<EndpointAddress> candidates,
        BufferedBody? body, HeaderMutations mutations, IPickExchange? exchange, RequestLabels labels)
    {
        if (candidates.Count == 0)
        {
            await OpenAiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"No ready endpoint in pool '{pool.Name}'.", OpenAiError.ServerError, "no_ready_endpoints");
            return;
        }

        var transformer = new GatewayTransformer(match.RewrittenPath, match.MatchedPrefix, mutations, exchange, logger)
        {
            DrainDeadline = drain.Deadline,
        };
        var attempts = Math.Min(candidates.Count, _maxAttempts);
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var endpoint = candidates[attempt];
            transformer.Endpoint = endpoint;
            var liveness = pool.Liveness(endpoint);
            transformer.Liveness = liveness;
            transformer.Unresponsive = liveness?.Unresponsive ?? CancellationToken.None;
            labels.Upstream = endpoint.Authority;
            if (body is not null)
            {
                // Each attempt replays the buffered body from its start.
                context.Request.Body = body.OpenRead();
                context.Request.ContentLength = body.Length;
                context.Request.Headers.Remove(HeaderNames.TransferEncoding);
            }

            context.Features.Set<IForwarderErrorFeature>(null);
            var error = await forwarder.SendAsync(context, endpoint.DestinationPrefix, upstream.Invoker, upstream.RequestConfig, transformer);
            if (error == ForwarderError.None)
            {
                // Ends the client's response now, rather than after the picker's stream is closed.
                await context.Response.CompleteAsync();
                RecordOnce(context, labels);
                return;
            }

            // A response cut by its replica is aborted towards the client too, which fires RequestAborted: that is the
            // replica's failure, not a client that left.
            if (StreamCutGuard.WasEndedByDrain(context))
            {
                // The gateway's own stop, not the replica's failure.
                RecordOnce(context, labels);
                return;
            }

            var cutByReplica = error == ForwarderError.ResponseBodyDestination || StreamCutGuard.WasCut(context);
            var clientGone = context.RequestAborted.IsCancellationRequested && !cutByReplica;

            // Still waiting for its replica at the drain deadline: nothing has reached the client, so it gets a clean 503
            // (which OpenAI clients retry, reaching a gateway that is not stopping) instead of a reset connection. A client
            // already gone by then gets nothing and counts as gone (499), not as a request the gateway refused: nothing
            // aborts a client's request before the host's own stop timeout, which comes after the drain deadline.
            if (drain.Deadline.IsCancellationRequested && !context.Response.HasStarted && !clientGone)
            {
                context.Response.Clear();
                await OpenAiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    "The gateway is shutting down and the model server had not answered yet; retry the request.", OpenAiError.ServerError, StreamCutGuard.ShutdownErrorCode);
                RecordOnce(context, labels);
                return;
            }

            if (clientGone)
            {
                labels.ClientGone = true;
                return;
            }

            var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            metrics.RecordUpstreamFailure(pool.Name, endpoint.Authority, UpstreamFailureKind.Of(error, exception));
            if (!context.Response.HasStarted && IsBeforeAnyResponse(error, exception))
            {
                pool.MarkFailed(endpoint);
                if (attempt < attempts - 1)
                {
                    GatewayLog.UpstreamAttemptFailed(logger, endpoint.Authority, error.ToString(), exception);
                    context.Response.Clear();
                    continue;
                }
            }

            GatewayLog.UpstreamFailed(logger, endpoint.Authority, error.ToString(), exception);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                var timedOut = error is ForwarderError.RequestTimedOut;
                await OpenAiError.WriteAsync(context, timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                    timedOut ? $"The model server {endpoint.Authority} did not answer in time." : $"The model server {endpoint.Authority} could not be reached.",
                    OpenAiError.ServerError, timedOut ? "upstream_timeout" : "upstream_unavailable");
            }

            return;
        }
    }

    /// <summary>
    /// Failures after which the replica cannot have produced an answer the client saw: no connection, or the
    /// connection dropped before response headers. Inference has no side effects, so trying the next endpoint is safe;
    /// a replica that is merely slow (activity timeout) is not retried.
    /// </summary>
    internal static bool IsBeforeAnyResponse(ForwarderError error, Exception? exception) => error switch
    {
        ForwarderError.Request or ForwarderError.RequestBodyDestination => true,
        ForwarderError.RequestTimedOut => IsConnectTimeout(exception),
        _ => false,
    };

    private static bool IsConnectTimeout(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException or SocketException)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task WriteImmediateAsync(HttpContext context, ImmediateReply reply)
    {
        var response = context.Response;
        response.StatusCode = reply.StatusCode;
        foreach (var set in reply.Headers.Set)
        {
            if (!GatewayTransformer.IsReserved(set.Name) && !set.Name.Equals(HeaderNames.Server, StringComparison.OrdinalIgnoreCase))
            {
                if (set.Action == HeaderAction.Append)
                {
                    response.Headers.Append(set.Name, set.Value);
                }
                else
                {
                    response.Headers[set.Name] = set.Value;
                }
            }
        }

        if (reply.Body.IsEmpty && reply.StatusCode >= 400)
        {
            // A bare status would leave SDK clients without a message; say what the picker said, in the API's shape.
            response.ContentType = "application/json";
            var message = reply.Details ?? ReasonPhrases.GetReasonPhrase(reply.StatusCode);
            var type = reply.StatusCode >= 500 ? OpenAiError.ServerError : OpenAiError.InvalidRequest;
            var code = reply.StatusCode == StatusCodes.Status429TooManyRequests ? "rate_limit_exceeded" : null;
            await response.Body.WriteAsync(OpenAiError.Serialize(message, type, code), context.RequestAborted);
            return;
        }

        if (!response.Headers.ContainsKey(HeaderNames.ContentType) && !reply.Body.IsEmpty)
        {
            response.ContentType = reply.Body.Span[0] == (byte)'{' ? "application/json" : "text/plain; charset=utf-8";
        }

        await response.Body.WriteAsync(reply.Body, context.RequestAborted);
    }

    private Task RequestTooLargeAsync(HttpContext context)
    {
        GatewayLog.RequestBodyTooLarge(logger, _limits.MaxRequestBodySize);
        return OpenAiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge,
            $"The request body is larger than the gateway's limit of {_limits.MaxRequestBodySize} bytes.", OpenAiError.InvalidRequest, "request_too_large");
    }

    /// <summary>
    /// The request headers as Envoy hands them to ext_proc: lower-cased, pseudo-headers first, <c>:path</c> after the
    /// route's rewrite, <c>x-request-id</c> always present, and the gateway's span as <c>traceparent</c>.
    /// </summary>
    private static List<KeyValuePair<string, string>> PickerHeaders(HttpContext context, RouteMatch match, long bodyLength)
    {
        var request = context.Request;
        var headers = new List<KeyValuePair<string, string>>(request.Headers.Count + 8)
        {
            new(":method", request.Method),
            new(":scheme", request.Scheme),
            new(":authority", request.Host.Value ?? ""),
            new(":path", match.RewrittenPath.ToUriComponent() + request.QueryString.ToUriComponent()),
        };

        var activity = Activity.Current;
        var traceparent = activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;
        foreach (var (name, values) in request.Headers)
        {
            var lower = name.ToLowerInvariant();
            if (lower is "host" or "connection" or "keep-alive" or "transfer-encoding" or "te" or "upgrade" or "content-length"
                || (traceparent is not null && lower == "traceparent"))
            {
                continue;
            }

            foreach (var value in values)
            {
                headers.Add(new(lower, value ?? ""));
            }
        }

        if (bodyLength > 0)
        {
            headers.Add(new("content-length", bodyLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (traceparent is not null)
        {
            headers.Add(new("traceparent", traceparent));
        }

        headers.Add(new("x-forwarded-proto", request.Scheme));
        headers.Add(new(ExtProcNames.OriginalPathHeader, request.Path.ToUriComponent() + request.QueryString.ToUriComponent()));
        return headers;
    }

    private static string EnsureRequestId(HttpRequest request)
    {
        var id = request.Headers[ExtProcNames.RequestIdHeader].ToString();
        if (string.IsNullOrWhiteSpace(id))
        {
            id = RequestIds.New();
            request.Headers[ExtProcNames.RequestIdHeader] = id;
        }

        return id;
    }

    /// <summary>
    /// Inference calls are the methods that carry a body in the OpenAI API; an empty POST is still one (and gets 400
    /// from the JSON check), so it cannot slip past the picker as a body-less call.
    /// </summary>
    private static bool CanHaveBody(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method);

    private static bool IsJson(string? contentType) =>
        string.IsNullOrEmpty(contentType) || contentType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private sealed class RequestLabels
    {
        public string Route { get; set; } = GatewayMetrics.NoUpstream;
        public string Pool { get; set; } = GatewayMetrics.NoUpstream;
        public string Upstream { get; set; } = GatewayMetrics.NoUpstream;
        public bool ClientGone { get; set; }

        public long Started { get; init; }

        public bool Recorded { get; set; }
    }
}
