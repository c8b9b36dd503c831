using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Http.ExtProc.V3;
using Envoy.Service.ExtProc.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Forwarding;
using PatternOne.Gateway.Observability;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// The ext_proc client, speaking to the picker as Envoy does with <c>request_body_mode: STREAMED</c> and
/// <c>send_body_without_waiting_for_header_response</c>: the gateway keeps the body (it replays it to the next replica
/// on a retry anyway), so the picker only reads it and need not send it back.
/// <code>
///  gateway                                         picker
///    │ request_headers (end_of_stream=false) ───────▶ │  remembers headers, answers nothing yet
///    │ request_body chunk ≤ 62,000 B … ─────────────▶ │  reads what scoring needs, keeps nothing else
///    │ request_body last chunk (end_of_stream) ─────▶ │  schedules
///    │ ◀── request_headers: set x-gateway-destination-endpoint, dynamic_metadata envoy.lb
///    │ ◀── request_body × chunks: no mutation (the gateway's copy is forwarded)
///    │        … forward to the endpoint …
///    │ response_headers + metadata envoy.lb/served ─▶ │  learns where it ran; observability_mode: no answer
///    │ ◀── response_headers (header mutations)          only when the pool sets ResponseHeadersTimeout
///    │ half-close when the response is done ────────▶ │  request finished
/// </code>
/// A picker that only speaks FULL_DUPLEX_STREAMED (upstream's) answers with <c>streamed_response</c> chunks instead:
/// that body is forwarded, as Envoy would.
/// or, at any point, <c>immediate_response</c> in place of the rest. Response bodies are not streamed to the picker
/// (<c>response_body_mode: NONE</c>): each SSE chunk would cost a round trip on the token path, and the picker
/// gets what it needs — the served endpoint and the end of the request — without it.
/// </summary>
internal sealed class ExtProcEndpointPickerClient(TimeProvider timeProvider, GatewayMetrics metrics, ILogger<ExtProcEndpointPickerClient> logger)
    : IEndpointPickerClient, IDisposable
{
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, long> _lastFailureLog = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<(GrpcChannel Channel, ExternalProcessor.ExternalProcessorClient Client)>> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<PrestartedPickerCalls>> _prestarted = new(StringComparer.Ordinal);

    public async ValueTask<PickResult> PickAsync(PickRequest request, CancellationToken cancellationToken)
    {
        var pool = request.Pool;
        if (string.IsNullOrWhiteSpace(pool.EndpointPicker))
        {
            return PickResult.Unavailable("no-picker");
        }

        var started = timeProvider.GetTimestamp();
        var result = await PickCoreAsync(request, cancellationToken);
        var outcome = result.Status switch
        {
            PickStatus.Picked => "picked",
            PickStatus.Immediate => "immediate",
            _ => "unavailable",
        };
        if (!request.IsWarmup)
        {
            metrics.RecordPick(pool.Name, outcome, timeProvider.GetElapsedTime(started));
        }

        return result;
    }

    /// <summary>
    /// With the picker down every request fails the same way; one warning per pool per interval says it without
    /// flooding the log (the metrics count every one).
    /// </summary>
    private bool ShouldLogFailure(string pool)
    {
        var now = timeProvider.GetTimestamp();
        var last = _lastFailureLog.GetOrAdd(pool, long.MinValue);
        return (last == long.MinValue || timeProvider.GetElapsedTime(last, now) >= FailureLogInterval)
            && _lastFailureLog.TryUpdate(pool, now, last);
    }

    public void Dispose()
    {
        foreach (var prestarted in _prestarted.Values)
        {
            if (prestarted.IsValueCreated)
            {
                prestarted.Value.Dispose();
            }
        }

        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Channel.Dispose();
            }
        }
    }

    private async ValueTask<PickResult> PickCoreAsync(PickRequest request, CancellationToken cancellationToken)
    {
        var pool = request.Pool;
        var client = ClientFor(pool);
        using var deadline = new CancellationTokenSource(pool.PickerTimeout, timeProvider);
        if (pool.PrestartPickerCalls)
        {
            var prestarted = PrestartedFor(pool, client).TryTake(cancellationToken);
            if (prestarted is not null)
            {
                // A call opened ahead that turns out broken before it answered (its picker restarted, its connection
                // went away) leaves the request to a fresh call, within the same deadline: nobody fails for a stale call.
                if (await ExchangeAsync(request, prestarted, deadline, cancellationToken) is { } answer)
                {
                    RecordPrestarted(request, "used");
                    return answer;
                }

                RecordPrestarted(request, "failed");
            }
            else
            {
                RecordPrestarted(request, "none_ready");
            }
        }

        PickerCall? call = null;
        try
        {
            // The call outlives this method when an endpoint is picked (the response phase); the decision has a deadline.
            call = PickerCall.Start(client, timeProvider, cancellationToken);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException or HttpRequestException or InvalidOperationException)
        {
            return Failed(request, ex, deadline, cancellationToken);
        }

        return (await ExchangeAsync(request, call, deadline, cancellationToken))!;
    }

    /// <summary>
    /// The ext_proc exchange of one request on <paramref name="call"/>, which it owns from here on. Null only for a
    /// pre-started call that failed before the picker answered anything, when the request and its deadline still stand.
    /// </summary>
    private async ValueTask<PickResult?> ExchangeAsync(PickRequest request, PickerCall call, CancellationTokenSource deadline,
        CancellationToken cancellationToken)
    {
        var pool = request.Pool;
        var callCancellation = call.Cancellation;
        var deadlineRegistration = deadline.Token.Register(static state => ((CancellationTokenSource)state!).Cancel(), callCancellation);
        var answered = new StrongBox<bool>();
        try
        {
            var decisionTask = ReadDecisionAsync(call.Call.ResponseStream, request.Body?.Segments.Count ?? 0, answered, callCancellation.Token);
            try
            {
                await WriteRequestAsync(call.Call.RequestStream, request, call.Batch, callCancellation.Token);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The picker may have closed the stream with an immediate response while the body was still going
                // out; the read side has the answer, or the real error.
            }

            var decision = await decisionTask;
            await deadlineRegistration.DisposeAsync();
            if (decision.Immediate is { } immediate)
            {
                if (!request.IsWarmup)
                {
                    GatewayLog.PickerImmediateResponse(logger, pool.Name, immediate.StatusCode);
                }

                call.Dispose();
                return new PickResult { Status = PickStatus.Immediate, Immediate = immediate };
            }

            var endpoints = ParseEndpoints(decision, pool.Name);
            if (endpoints.Count == 0)
            {
                call.Dispose();
                return PickResult.Unavailable("no-endpoint");
            }

            return new PickResult
            {
                Status = PickStatus.Picked,
                Endpoints = endpoints,
                RequestHeaders = ToMutations(decision.HeaderMutations),
                Body = decision.Body,
                Exchange = new ExtProcExchange(call, pool, timeProvider, logger),
            };
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException or HttpRequestException or InvalidOperationException)
        {
            await deadlineRegistration.DisposeAsync();
            call.Dispose();
            if (call.Prestarted && !answered.Value && IsLostStream(ex) && !cancellationToken.IsCancellationRequested && !deadline.IsCancellationRequested)
            {
                return null;
            }

            return Failed(request, ex, deadline, cancellationToken);
        }
    }

    /// <summary>
    /// The stream or its connection went away (what a call opened before a picker restart meets), as opposed to the
    /// picker answering with an error status: only the first is worth a fresh call, the picker would refuse it again.
    /// </summary>
    private static bool IsLostStream(Exception ex) =>
        ex is IOException or HttpRequestException
        || (ex is RpcException rpc && rpc.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Cancelled);

    private PickResult Failed(PickRequest request, Exception ex, CancellationTokenSource deadline, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // The client went away; nobody is waiting for a failure mode.
            throw new OperationCanceledException(cancellationToken);
        }

        var pool = request.Pool;
        var reason = deadline.IsCancellationRequested ? "timeout"
            : ex is RpcException rpc ? "grpc-" + rpc.StatusCode.ToString().ToLowerInvariant()
            : "stream-error";
        // A warm-up failing at start-up is expected (the picker may not listen yet); the warm-up logs its own outcome.
        if (!request.IsWarmup && ShouldLogFailure(pool.Name))
        {
            GatewayLog.PickerUnavailable(logger, pool.Name, reason, pool.FailureMode, deadline.IsCancellationRequested ? null : ex);
        }

        return PickResult.Unavailable(reason, ex);
    }

    private void RecordPrestarted(PickRequest request, string outcome)
    {
        if (!request.IsWarmup)
        {
            metrics.RecordPrestartedCall(request.Pool.Name, outcome);
        }
    }

    /// <summary>The calls kept open ahead of requests for this pool's picker, started on the pool's first request.</summary>
    private PrestartedPickerCalls PrestartedFor(GatewayPoolOptions pool, ExternalProcessor.ExternalProcessorClient client) =>
        _prestarted.GetOrAdd(pool.EndpointPicker!, static (_, state) => new Lazy<PrestartedPickerCalls>(
            () => new PrestartedPickerCalls(() => PickerCall.Prestart(state.client, state.timeProvider), state.timeProvider)),
            (client, timeProvider)).Value;

    private static async Task WriteRequestAsync(IClientStreamWriter<ProcessingRequest> stream, PickRequest request, RequestPhaseBatch batch,
        CancellationToken cancellationToken)
    {
        var headers = new HeaderMap();
        foreach (var (name, value) in request.Headers)
        {
            // Envoy sends raw_value, and so do we; pickers read either.
            headers.Headers.Add(new HeaderValue { Key = name, RawValue = ByteString.CopyFromUtf8(value) });
        }

        var segments = request.Body?.Segments ?? [];
        if (segments.Count == 0)
        {
            batch.LastWriteFollows();
        }

        await stream.WriteAsync(new ProcessingRequest
        {
            RequestHeaders = new HttpHeaders { Headers = headers, EndOfStream = segments.Count == 0 },
            ProtocolConfig = new ProtocolConfiguration
            {
                RequestBodyMode = ProcessingMode.Types.BodySendMode.Streamed,
                ResponseBodyMode = ProcessingMode.Types.BodySendMode.None,
                SendBodyWithoutWaitingForHeaderResponse = true,
            },
        }, cancellationToken);

        for (var i = 0; i < segments.Count; i++)
        {
            if (i == segments.Count - 1)
            {
                batch.LastWriteFollows();
            }

            // No copy: the message is serialized before WriteAsync returns, and the segments live until the request ends.
            await stream.WriteAsync(new ProcessingRequest
            {
                RequestBody = new HttpBody { Body = UnsafeByteOperations.UnsafeWrap(segments[i]), EndOfStream = i == segments.Count - 1 },
            }, cancellationToken);
        }
    }

    private static async Task<Decision> ReadDecisionAsync(IAsyncStreamReader<ProcessingResponse> stream, int bodyChunksSent, StrongBox<bool> answered,
        CancellationToken cancellationToken)
    {
        var decision = new Decision();
        var headersAnswered = false;
        var bodyAnswered = bodyChunksSent == 0;
        var chunksAcknowledged = 0;
        List<ReadOnlyMemory<byte>>? streamedBody = null;

        while (await stream.MoveNext(cancellationToken))
        {
            var response = stream.Current;
            answered.Value = true;
            CaptureMetadata(decision, response.DynamicMetadata);
            switch (response.ResponseCase)
            {
                case ProcessingResponse.ResponseOneofCase.ImmediateResponse:
                    decision.Immediate = ToImmediate(response.ImmediateResponse);
                    return decision;

                case ProcessingResponse.ResponseOneofCase.RequestHeaders:
                    headersAnswered = true;
                    Capture(decision, response.RequestHeaders.Response);
                    break;

                case ProcessingResponse.ResponseOneofCase.RequestBody:
                    var common = response.RequestBody.Response;
                    Capture(decision, common);
                    var mutation = common?.BodyMutation;
                    switch (mutation?.MutationCase)
                    {
                        case BodyMutation.MutationOneofCase.StreamedResponse:
                            streamedBody ??= [];
                            streamedBody.Add(mutation.StreamedResponse.Body.Memory);
                            if (mutation.StreamedResponse.EndOfStream)
                            {
                                decision.Body = BufferedBody.FromSegments(streamedBody);
                                bodyAnswered = true;
                            }

                            break;
                        case BodyMutation.MutationOneofCase.Body:
                            decision.Body = BufferedBody.FromSegments([mutation.Body.Memory]);
                            bodyAnswered = true;
                            break;
                        case BodyMutation.MutationOneofCase.ClearWholeBody:
                            decision.Body = BufferedBody.Empty;
                            bodyAnswered = true;
                            break;
                        default:
                            // No mutation: this chunk of the gateway's own copy stands; the decision is complete
                            // once every chunk was answered.
                            bodyAnswered = ++chunksAcknowledged >= bodyChunksSent;
                            break;
                    }

                    break;
            }

            if (headersAnswered && bodyAnswered)
            {
                return decision;
            }
        }

        throw new InvalidOperationException("The endpoint picker closed the stream before it named an endpoint.");
    }

    private static void Capture(Decision decision, CommonResponse? response)
    {
        if (response?.HeaderMutation is { } mutation)
        {
            decision.HeaderMutations.Add(mutation);
        }
    }

    private static void CaptureMetadata(Decision decision, Struct? metadata)
    {
        if (metadata is not null
            && metadata.Fields.TryGetValue(ExtProcNames.LbNamespace, out var lb)
            && lb.StructValue?.Fields.TryGetValue(ExtProcNames.DestinationEndpoint, out var endpoint) == true
            && endpoint.KindCase == Value.KindOneofCase.StringValue)
        {
            decision.MetadataEndpoint = endpoint.StringValue;
        }
    }

    private List<EndpointAddress> ParseEndpoints(Decision decision, string pool)
    {
        // The header is authoritative (Envoy's ORIGINAL_DST cluster routes by it); metadata carries the same value.
        string? value = null;
        foreach (var mutation in decision.HeaderMutations)
        {
            foreach (var set in mutation.SetHeaders)
            {
                if (set.Header is { } header && string.Equals(header.Key, ExtProcNames.DestinationEndpoint, StringComparison.OrdinalIgnoreCase))
                {
                    value = HeaderText(header);
                }
            }
        }

        value ??= decision.MetadataEndpoint;
        var endpoints = new List<EndpointAddress>();
        foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (EndpointAddress.TryParse(part, out var endpoint))
            {
                if (!endpoints.Contains(endpoint))
                {
                    endpoints.Add(endpoint);
                }
            }
            else
            {
                GatewayLog.PickerNamedInvalidEndpoint(logger, pool, part);
            }
        }

        return endpoints;
    }

    internal static HeaderMutations ToMutations(IEnumerable<HeaderMutation> mutations)
    {
        var set = new List<HeaderSet>();
        var remove = new List<string>();
        foreach (var mutation in mutations)
        {
            foreach (var option in mutation.SetHeaders)
            {
                if (option.Header is not { Key.Length: > 0 } header)
                {
                    continue;
                }

#pragma warning disable CS0612 // `append` is deprecated in Envoy, but older pickers still send it and it wins when set.
                var legacyAppend = option.Append;
#pragma warning restore CS0612
                var action = legacyAppend is { } append
                    ? (append ? HeaderAction.Append : HeaderAction.Overwrite)
                    : option.AppendAction switch
                    {
                        HeaderValueOption.Types.HeaderAppendAction.AddIfAbsent => HeaderAction.AddIfAbsent,
                        HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExists => HeaderAction.OverwriteIfExists,
                        // ext_proc reads an unset append as "overwrite", unlike the rest of Envoy.
                        _ => HeaderAction.Overwrite,
                    };
                set.Add(new HeaderSet(header.Key.ToLowerInvariant(), HeaderText(header), action));
            }

            remove.AddRange(mutation.RemoveHeaders.Select(h => h.ToLowerInvariant()));
        }

        return set.Count == 0 && remove.Count == 0 ? HeaderMutations.None : new HeaderMutations(set, remove);
    }

    private static ImmediateReply ToImmediate(ImmediateResponse response)
    {
        var status = (int)(response.Status?.Code ?? 0);
        return new ImmediateReply(
            status is >= 200 and <= 599 ? status : 500,
            ToMutations(response.Headers is null ? [] : [response.Headers]),
            response.Body.Memory,
            string.IsNullOrEmpty(response.Details) ? null : response.Details);
    }

    private static string HeaderText(HeaderValue header) =>
        header.RawValue.IsEmpty ? header.Value : header.RawValue.ToStringUtf8();

    public async Task<string?> ProbeAsync(GatewayPoolOptions pool, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(pool.EndpointPicker))
        {
            return null;
        }

        ClientFor(pool);
        var health = new Health.HealthClient(_clients[pool.EndpointPicker].Value.Channel);
        try
        {
            var reply = await health.CheckAsync(new HealthCheckRequest { Service = ExternalProcessor.Descriptor.FullName },
                deadline: timeProvider.GetUtcNow().UtcDateTime + pool.PickerTimeout, cancellationToken: cancellationToken);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? null : "not serving (" + reply.Status + ")";
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unimplemented or StatusCode.NotFound)
        {
            // It answered: a picker that keeps its health service on another port (ours: 9003) is reachable.
            return null;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode == StatusCode.DeadlineExceeded ? "no answer within " + pool.PickerTimeout.TotalSeconds + " s" : "unreachable (" + ex.Status.Detail + ")";
        }
    }

    /// <summary>What the picker channel's connections are wrapped in; tests record the bytes on the wire through it.</summary>
    /// <remarks>
    /// A stream filter, not a connect callback: with a connect callback Grpc.Net.Client opens connections on its custom
    /// transport path, so a test would not run the socket transport production uses.
    /// </remarks>
    internal Func<SocketsHttpPlaintextStreamFilterContext, CancellationToken, ValueTask<Stream>>? WireFilter { get; init; }

    private ExternalProcessor.ExternalProcessorClient ClientFor(GatewayPoolOptions pool) =>
        _clients.GetOrAdd(pool.EndpointPicker!, static (address, state) => new(() =>
        {
            var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = new RequestPhaseCoalescingHandler(new SocketsHttpHandler
                {
                    // One HTTP/2 stream per in-flight request stays open for the response phase; past the server's
                    // stream limit (100 in Kestrel) requests would queue behind one connection.
                    EnableMultipleHttp2Connections = true,
                    ConnectTimeout = state.Timeout,
                    PlaintextStreamFilter = state.WireFilter,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                    KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                }),
                DisposeHttpClient = true,
                // gRPC's default backoff grows to 120 s: after a picker restart the gateway would keep failing open for
                // minutes. A picker is one hop away on a local network; retrying its connection every second is cheap.
                InitialReconnectBackoff = PickerReconnectBackoff.Initial,
                MaxReconnectBackoff = PickerReconnectBackoff.Max,
            });
            return (channel, new ExternalProcessor.ExternalProcessorClient(channel));
        }), (Timeout: pool.PickerTimeout, WireFilter)).Value.Client;

    private static class PickerReconnectBackoff
    {
        public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(200);
        public static readonly TimeSpan Max = TimeSpan.FromSeconds(1);
    }

    private sealed class Decision
    {
        public List<HeaderMutation> HeaderMutations { get; } = [];
        public string? MetadataEndpoint { get; set; }
        public BufferedBody? Body { get; set; }
        public ImmediateReply? Immediate { get; set; }
    }
}
