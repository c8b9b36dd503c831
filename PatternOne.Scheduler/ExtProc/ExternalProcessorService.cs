using System.Diagnostics;
using System.Text.Json;
using Envoy.Config.Core.V3;
using Envoy.Service.ExtProc.V3;
using Envoy.Type.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using BodySendMode = Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Metrics;
using PatternOne.Scheduler.Objectives;
using PatternOne.Scheduler.Observability;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.ExtProc;

/// <summary>
/// Envoy's ext_proc, spoken as the Gateway API Inference Extension's endpoint picker does (FULL_DUPLEX_STREAMED):
/// <code>
///  proxy                                   scheduler
///  request_headers ───────────────────────▶ remember headers and body mode (no answer yet)
///  request_body × n (… end_of_stream) ────▶ read model and prompt head as chunks arrive; at the end pick
///                  ◀─────────────────────── request_headers: set x-gateway-destination-endpoint, Content-Length,
///                                           clear_route_cache; dynamic_metadata envoy.lb (same value)
///                  ◀─────────────────────── request_body × m: the body again, ≤ 62,000 bytes a piece
///  response_headers (served endpoint) ────▶ answered unchanged
///  response_body × k ─────────────────────▶ echoed as streamed_response; the last one ends the request
/// </code>
/// FULL_DUPLEX_STREAMED hands the body to the picker, so it is held until it is sent back. A proxy that keeps the body
/// itself (STREAMED with <c>send_body_without_waiting_for_header_response</c>, as our gateway runs, or BUFFERED) gets
/// one empty answer per chunk instead, and the scheduler holds only what <see cref="RequestBodyScanner"/> keeps:
/// its memory per request does not grow with the body.
/// A GET (headers with end_of_stream) is answered at once with a random endpoint. Refusals are immediate responses:
/// 400 unparsable body, 429 pool saturated (sheddable requests only), 503 no endpoints, with
/// <c>x-llm-d-request-dropped-reason</c>.
/// The stream is also the in-flight count's source: +1 on the endpoint when it is picked; −1 at the response's end of
/// stream, or when the stream ends early (reset, client gone) — whichever comes first.
/// A message with <c>observability_mode</c> set is processed but not answered, as the protocol requires: our gateway
/// sends the response headers that way (it does not wait for an answer it would not use), Envoy every message when
/// its filter runs in observability mode.
/// </summary>
internal sealed partial class ExternalProcessorService(
    EndpointPool pool,
    IScheduler scheduler,
    ObjectiveRegistry objectives,
    SchedulerMetrics metrics,
    IOptions<ExtProcOptions> options,
    Random random,
    ILogger<ExternalProcessorService> logger) : ExternalProcessor.ExternalProcessorBase
{
    internal static readonly ActivitySource ActivitySource = new(SchedulerMetrics.MeterName);

    /// <summary>A write that only appends to the response; the next write without it flushes both.</summary>
    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);

    /// <summary>A body chunk let through unchanged (STREAMED and BUFFERED modes: the proxy still holds it).</summary>
    private static readonly ProcessingResponse BodyAcknowledged = new() { RequestBody = new BodyResponse { Response = new CommonResponse() } };

    public override async Task Process(
        IAsyncStreamReader<ProcessingRequest> requestStream,
        IServerStreamWriter<ProcessingResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var exchange = new Exchange();
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                var message = requestStream.Current;
                // A message sent in observability mode must not be answered: the proxy goes on without waiting (our
                // gateway sends the response headers so). The in-flight accounting it carries still happens.
                if (!await HandleAsync(message, exchange, message.ObservabilityMode ? Unanswered.Instance : responseStream))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException
            || (ex is RpcException rpc && rpc.StatusCode == Grpc.Core.StatusCode.Cancelled))
        {
            // The proxy closed the stream (client gone, request done); nothing to answer.
        }
        finally
        {
            exchange.Complete();
        }
    }

    private async Task<bool> HandleAsync(ProcessingRequest message, Exchange exchange, IServerStreamWriter<ProcessingResponse> output)
    {
        if (message.MetadataContext is { } metadata)
        {
            exchange.ReadMetadata(metadata);
        }

        switch (message.RequestCase)
        {
            case ProcessingRequest.RequestOneofCase.RequestHeaders:
                exchange.ReadHeaders(message.RequestHeaders.Headers);
                var bodyMode = message.ProtocolConfig?.RequestBodyMode;
                // Envoy's FULL_DUPLEX_STREAMED (upstream's only mode, and what a proxy that says nothing runs) hands the
                // body over: it must come back. In STREAMED and BUFFERED modes the proxy keeps it and each chunk is
                // only acknowledged, so nothing of it stays here but what scoring reads.
                exchange.EchoesBody = bodyMode is not (BodySendMode.Streamed or BodySendMode.Buffered or BodySendMode.BufferedPartial);
                var bodyless = message.RequestHeaders.EndOfStream || bodyMode == BodySendMode.None;
                return !bodyless || await AnswerWithoutBodyAsync(exchange, output);

            case ProcessingRequest.RequestOneofCase.RequestBody:
                var body = message.RequestBody;
                if (exchange.Answered)
                {
                    // Already routed without a body (the proxy announced none): pass any body through untouched.
                    await output.WriteAsync(exchange.EchoesBody ? StreamedRequestBody(body.Body, body.EndOfStream) : BodyAcknowledged);
                    return true;
                }

                exchange.BodyChunks++;
                if (exchange.EchoesBody)
                {
                    exchange.Body.Append(body.Body);
                }

                if (exchange.Scanner.BodyBytes + body.Body.Length > options.Value.MaxRequestBodyBytes)
                {
                    await RefuseAsync(output, exchange, 413, "invalid_request_error", "request_too_large",
                        $"The request body exceeds {options.Value.MaxRequestBodyBytes} bytes.", droppedReason: null);
                    return false;
                }

                if (!exchange.Scanner.Append(body.Body.Span, body.EndOfStream))
                {
                    // Known unusable before its end: answered now, the rest of the body need not be read.
                    await RefuseAsync(output, exchange, 400, "invalid_request_error", "invalid_body", exchange.Scanner.Error!, droppedReason: null);
                    return false;
                }

                return !body.EndOfStream || await ScheduleAsync(exchange, output);

            case ProcessingRequest.RequestOneofCase.RequestTrailers:
                await output.WriteAsync(new ProcessingResponse { RequestTrailers = new TrailersResponse() });
                return true;

            case ProcessingRequest.RequestOneofCase.ResponseHeaders:
                exchange.OnServed(scheduler, pool);
                await output.WriteAsync(new ProcessingResponse { ResponseHeaders = new HeadersResponse { Response = new CommonResponse() } });
                if (message.ResponseHeaders.EndOfStream)
                {
                    exchange.Complete();
                }

                return true;

            case ProcessingRequest.RequestOneofCase.ResponseBody:
                // Streamed (SSE) or not, the body goes straight back: buffering here would delay every token.
                await output.WriteAsync(new ProcessingResponse
                {
                    ResponseBody = new BodyResponse
                    {
                        Response = new CommonResponse
                        {
                            BodyMutation = new BodyMutation
                            {
                                StreamedResponse = new StreamedBodyResponse { Body = message.ResponseBody.Body, EndOfStream = message.ResponseBody.EndOfStream },
                            },
                        },
                    },
                });
                if (message.ResponseBody.EndOfStream)
                {
                    exchange.Complete();
                }

                return true;

            case ProcessingRequest.RequestOneofCase.ResponseTrailers:
                await output.WriteAsync(new ProcessingResponse { ResponseTrailers = new TrailersResponse() });
                exchange.Complete();
                return true;

            default:
                return true;
        }
    }

    private async Task<bool> ScheduleAsync(Exchange exchange, IServerStreamWriter<ProcessingResponse> output)
    {
        if (exchange.Scanner.BodyBytes == 0)
        {
            return await AnswerWithoutBodyAsync(exchange, output);
        }

        using var activity = StartActivity(exchange);
        var parsed = exchange.Scanner.Result;
        activity?.SetTag("patternone.scheduler.prompt_tokens_estimate", parsed.PromptTokenEstimate);
        exchange.Model = parsed.Model;
        var request = new SchedulingRequest
        {
            RequestId = exchange.RequestId,
            Model = parsed.Model,
            Prompt = parsed.Prompt,
            CandidateSubset = exchange.Subset,
            Headers = exchange.Headers,
            Priority = objectives.PriorityOf(ObjectiveRegistry.ObjectiveOf(exchange.Headers)),
            // Per-scorer scores cost allocations; collect them only when a trace or the debug log will show them.
            Explain = activity is { IsAllDataRequested: true } || logger.IsEnabled(LogLevel.Debug),
        };
        var result = scheduler.Pick(request, pool.CandidateSnapshot());
        activity?.SetTag("patternone.scheduler.outcome", result.Outcome.ToString());
        switch (result.Outcome)
        {
            case SchedulingOutcome.NoEndpoints:
                await RefuseAsync(output, exchange, 503, "service_unavailable_error", ExtProcNames.ReasonNoEndpoints, result.Reason!, ExtProcNames.ReasonNoEndpoints);
                return false;
            case SchedulingOutcome.Saturated:
                await RefuseAsync(output, exchange, 429, "rate_limit_error", ExtProcNames.ReasonSaturated, result.Reason!, ExtProcNames.ReasonSaturated);
                return false;
        }

        var destination = result.DestinationValue;
        activity?.SetTag("patternone.scheduler.endpoint", destination);
        activity?.SetTag("patternone.scheduler.prefix_blocks", $"{result.PrefixMatchedBlocks}/{result.PrefixTotalBlocks}");
        exchange.Started(pool.Find(result.Primary.Address), request);
        metrics.RecordRequest(parsed.Model, exchange.Scanner.BodyBytes, "scheduled");
        LogPicked(logger, exchange.RequestId, destination, result.PrefixMatchedBlocks, result.PrefixTotalBlocks);
        ExplainPick(activity, exchange.RequestId, scheduler.ProfileName, result);

        var headers = DestinationResponse(destination);
        // The decision and the body's answers go out in one flush: the proxy can do nothing before the last one, and
        // one write (one wake-up on its side) per decision instead of one per message saves a syscall and a thread hop
        // each way.
        IEnumerable<ProcessingResponse> bodyAnswers;
        if (exchange.EchoesBody)
        {
            headers.RequestHeaders.Response.HeaderMutation.SetHeaders.Add(Header("Content-Length", exchange.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var pieces = exchange.Body.Pieces(ExtProcNames.BodyByteLimit).ToList();
            bodyAnswers = pieces.Select((piece, i) => StreamedRequestBody(piece, i == pieces.Count - 1));
        }
        else
        {
            bodyAnswers = Enumerable.Repeat(BodyAcknowledged, exchange.BodyChunks);
        }

        output.WriteOptions = BufferedWrite;
        try
        {
            await output.WriteAsync(headers);
            ProcessingResponse? previous = null;
            foreach (var answer in bodyAnswers)
            {
                if (previous is not null)
                {
                    await output.WriteAsync(previous);
                }

                previous = answer;
            }

            output.WriteOptions = null;
            if (previous is not null)
            {
                await output.WriteAsync(previous);
            }
        }
        finally
        {
            output.WriteOptions = null;
        }

        exchange.Body.Clear();
        return true;
    }

    private static ProcessingResponse StreamedRequestBody(ByteString body, bool endOfStream) => new()
    {
        RequestBody = new BodyResponse
        {
            Response = new CommonResponse
            {
                BodyMutation = new BodyMutation { StreamedResponse = new StreamedBodyResponse { Body = body, EndOfStream = endOfStream } },
            },
        },
    };

    /// <summary>No body to read a prompt from: any candidate will do, as upstream.</summary>
    private async Task<bool> AnswerWithoutBodyAsync(Exchange exchange, IServerStreamWriter<ProcessingResponse> output)
    {
        var endpoints = pool.CandidateSnapshot().Where(e => exchange.Subset is null || exchange.Subset.Contains(e.Address)).ToArray();
        if (endpoints.Length == 0)
        {
            await RefuseAsync(output, exchange, 503, "service_unavailable_error", ExtProcNames.ReasonNoEndpoints,
                "The inference pool has no ready endpoints.", ExtProcNames.ReasonNoEndpoints);
            return false;
        }

        var chosen = endpoints[random.Next(endpoints.Length)];
        exchange.Started(pool.Find(chosen.Address), request: null);
        metrics.RecordRequest("", 0, "scheduled");
        await output.WriteAsync(DestinationResponse(chosen.Address));
        return true;
    }

    private static ProcessingResponse DestinationResponse(string destination)
    {
        var lb = new Struct();
        lb.Fields[ExtProcNames.DestinationEndpoint] = Value.ForString(destination);
        var dynamicMetadata = new Struct();
        dynamicMetadata.Fields[ExtProcNames.LbNamespace] = Value.ForStruct(lb);
        return new ProcessingResponse
        {
            RequestHeaders = new HeadersResponse
            {
                Response = new CommonResponse
                {
                    ClearRouteCache = true,
                    HeaderMutation = new HeaderMutation { SetHeaders = { Header(ExtProcNames.DestinationEndpoint, destination) } },
                },
            },
            DynamicMetadata = dynamicMetadata,
        };
    }

    private async Task RefuseAsync(
        IServerStreamWriter<ProcessingResponse> output, Exchange exchange, int status, string type, string code, string message, string? droppedReason)
    {
        metrics.RecordRequest(exchange.Model, exchange.Scanner.BodyBytes, code, status);
        LogRefused(logger, exchange.RequestId, status, message);
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(new ErrorDetail(message, type, null, code)), ErrorJsonContext.Default.ErrorBody);
        var headers = new HeaderMutation { SetHeaders = { Header("content-type", "application/json") } };
        if (droppedReason is not null)
        {
            headers.SetHeaders.Add(Header(ExtProcNames.DroppedReasonHeader, droppedReason));
        }

        if (status == 429)
        {
            headers.SetHeaders.Add(Header("retry-after", "1"));
        }

        await output.WriteAsync(new ProcessingResponse
        {
            ImmediateResponse = new ImmediateResponse
            {
                Status = new HttpStatus { Code = (Envoy.Type.V3.StatusCode)status },
                Headers = headers,
                Body = ByteString.CopyFrom(body),
                Details = droppedReason ?? code,
            },
        });
    }

    /// <summary>Envoy reads <c>raw_value</c>; upstream's picker writes only that field, and so do we.</summary>
    private static HeaderValueOption Header(string key, string value) => new()
    {
        Header = new HeaderValue { Key = key, RawValue = ByteString.CopyFromUtf8(value) },
        AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd,
    };

    private static Activity? StartActivity(Exchange exchange)
    {
        // The gRPC server activity already carries the proxy's trace when its client propagates it; otherwise join
        // the trace of the HTTP request itself from its traceparent header.
        ActivityContext parent = default;
        if (Activity.Current is null && exchange.Headers.TryGetValue("traceparent", out var traceParent))
        {
            exchange.Headers.TryGetValue("tracestate", out var traceState);
            ActivityContext.TryParse(traceParent, traceState, out parent);
        }

        var activity = ActivitySource.StartActivity("schedule", ActivityKind.Internal, parent);
        activity?.SetTag("patternone.scheduler.request_id", exchange.RequestId);
        return activity;
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Request {RequestId} → {Destination} (prefix {Matched}/{Total} blocks)")]
    private static partial void LogPicked(ILogger logger, string requestId, string destination, int matched, int total);

    /// <summary>
    /// Why this replica: the span gets the profile, the winner and one <c>candidate</c> event per candidate with its
    /// score per scorer (the dashboard's trace view lists them), and the debug log says the same in one line.
    /// </summary>
    private void ExplainPick(Activity? activity, string requestId, string profile, SchedulingResult result)
    {
        if (result.Candidates.Count == 0)
        {
            return;
        }

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(PickSpan.Profile, profile);
            activity.SetTag(PickSpan.Winner, result.Primary.Address);
            activity.SetTag(PickSpan.CandidateCount, result.Candidates.Count);
            foreach (var candidate in result.Candidates)
            {
                var tags = new ActivityTagsCollection
                {
                    [PickSpan.CandidateEndpoint] = candidate.Address,
                    [PickSpan.CandidateTotal] = candidate.Total,
                    [PickSpan.CandidateWinner] = candidate.Address == result.Primary.Address,
                };
                foreach (var score in candidate.Scores)
                {
                    tags[PickSpan.ScorePrefix + score.Scorer] = score.Score;
                    tags[PickSpan.WeightPrefix + score.Scorer] = score.Weight;
                }

                activity.AddEvent(new ActivityEvent(PickSpan.CandidateEvent, tags: tags));
            }
        }

        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogPickExplained(logger, requestId, profile, result.Primary.Address, string.Join("; ", result.Candidates));
        }
    }

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Request {RequestId}: profile {Profile} picked {Winner} among {Candidates}")]
    private static partial void LogPickExplained(ILogger logger, string requestId, string profile, string winner, string candidates);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Request {RequestId} refused with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string requestId, int status, string reason);

    /// <summary>Where the answers to a message sent in observability mode go: nowhere.</summary>
    private sealed class Unanswered : IServerStreamWriter<ProcessingResponse>
    {
        public static readonly Unanswered Instance = new();

        /// <summary>Shared by every stream, so it keeps nothing.</summary>
        public WriteOptions? WriteOptions
        {
            get => null;
            set { }
        }

        public Task WriteAsync(ProcessingResponse message) => Task.CompletedTask;
    }

    /// <summary>State of one ext_proc stream (one HTTP request).</summary>
    private sealed class Exchange
    {
        private InFlightRequest? _inFlight;
        private SchedulingRequest? _request;

        public Dictionary<string, string> Headers { get; } = new(StringComparer.Ordinal);

        /// <summary>The body's chunks, kept only when they must be sent back (<see cref="EchoesBody"/>).</summary>
        public BodyBuffer Body { get; } = new();

        /// <summary>What scoring needs from the body, read as it arrives.</summary>
        public RequestBodyScanner Scanner { get; } = new();

        /// <summary>The proxy runs FULL_DUPLEX_STREAMED: the body must be sent back after the decision.</summary>
        public bool EchoesBody { get; set; } = true;

        public int BodyChunks { get; set; }

        public string RequestId { get; private set; } = "";

        public string Model { get; set; } = "";

        public HashSet<string>? Subset { get; private set; }

        public string? Served { get; private set; }

        /// <summary>The headers phase has been answered (an endpoint was chosen).</summary>
        public bool Answered { get; private set; }

        public void ReadHeaders(HeaderMap? map)
        {
            if (map is not null)
            {
                // Sized once for all of them: grown an insert at a time, it allocates its arrays for 3, 7 and then 17
                // entries to hold a typical request's dozen headers.
                Headers.EnsureCapacity(map.Headers.Count);
                foreach (var header in map.Headers)
                {
                    Headers[header.Key.ToLowerInvariant()] = header.RawValue.IsEmpty ? header.Value : header.RawValue.ToStringUtf8();
                }
            }

            RequestId = Headers.TryGetValue(ExtProcNames.RequestIdHeader, out var id) && id.Length > 0 ? id : Guid.NewGuid().ToString();
        }

        public void ReadMetadata(Envoy.Config.Core.V3.Metadata metadata)
        {
            if (metadata.FilterMetadata.TryGetValue(ExtProcNames.SubsetHintNamespace, out var hint)
                && hint.Fields.TryGetValue(ExtProcNames.SubsetHintKey, out var subset))
            {
                Subset = subset.KindCase switch
                {
                    Value.KindOneofCase.ListValue => [.. subset.ListValue.Values.Where(v => v.KindCase == Value.KindOneofCase.StringValue).Select(v => v.StringValue)],
                    Value.KindOneofCase.StringValue => [.. subset.StringValue.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                    _ => Subset,
                };
            }

            if (metadata.FilterMetadata.TryGetValue(ExtProcNames.LbNamespace, out var lb)
                && lb.Fields.TryGetValue(ExtProcNames.ServedEndpoint, out var served)
                && served.KindCase == Value.KindOneofCase.StringValue)
            {
                Served = served.StringValue;
            }
        }

        public void Started(EndpointState? endpoint, SchedulingRequest? request)
        {
            Answered = true;
            _request = request;
            _inFlight = endpoint?.RequestStarted();
        }

        /// <summary>The proxy fell back to another endpoint: move the in-flight count and teach the prefix index.</summary>
        public void OnServed(IScheduler scheduler, EndpointPool pool)
        {
            if (Served is not { Length: > 0 } served || _inFlight is null || served == _inFlight.Address)
            {
                return;
            }

            if (_request is not null)
            {
                scheduler.RecordServed(_request, served);
            }

            _inFlight.Complete();
            _inFlight = pool.Find(served)?.RequestStarted();
        }

        /// <summary>End of the response, or of the stream (reset, cancel); idempotent.</summary>
        public void Complete()
        {
            _inFlight?.Complete();
            _inFlight = null;
        }
    }
}

internal sealed record ErrorBody(ErrorDetail Error);

internal sealed record ErrorDetail(string Message, string Type, string? Param, string Code);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
