using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PatternOne.ServiceDefaults.Shutdown;
using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Faults;
using PatternOne.VllmSimulator.Options;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>
/// <c>/v1/chat/completions</c> and <c>/v1/completions</c>, a thin layer over the engine:
/// <code>
/// 1. parse and validate (400, InferenceRequestParser), check the model (404)
/// 2. tokenize, check the context window, decide each choice's text (ChoicePlanner)
/// 3. injected faults (Faults/), then submit one engine sequence per choice
/// 4. relay tokens as the engine's steps end: SSE chunks, or one JSON body at the end (CompletionWriter)
/// 5. client gone → abort the sequences in the engine (their KV blocks are freed)
/// 6. shutting down: the listener closes (new connections are refused, so a gateway tries another replica); at the
///    drain deadline (--shutdown-timeout) the sequences are aborted and the response ends with an error (an error
///    event and [DONE] on a stream, a 503 otherwise)
/// </code>
/// </summary>
internal sealed partial class InferenceEndpoint(
    IEngineDriver driver,
    ITokenizer tokenizer,
    IFaultInjector faults,
    IOptions<SimulatorOptions> options,
    TimeProvider time,
    DrainState drain,
    ILogger<InferenceEndpoint> logger)
{
    private const int MaxBodyBytes = 32 * 1024 * 1024;
    private const string ShuttingDown = "The server is shutting down.";

    private readonly SimulatorOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, InferenceKind kind)
    {
        var aborted = context.RequestAborted;
        try
        {
            var body = await ReadBodyAsync(context.Request, aborted);
            var request = InferenceRequestParser.Parse(kind, body);
            if (request.Model is { } model && !_options.ServedModelNames.Contains(model, StringComparer.Ordinal))
            {
                throw ApiError.ModelNotFound(model);
            }

            var choices = ChoicePlanner.Plan(request, tokenizer, driver.Options);
            var fault = faults.Decide(context.Request.Headers[FaultOptions.HeaderName]);
            if (fault == FaultKind.Error)
            {
                LogFault(fault.ToString());
                throw new ApiError(faults.Options.ErrorStatus, "Simulated failure injected by the vLLM simulator.");
            }

            if (fault == FaultKind.SlowStart)
            {
                LogFault(fault.ToString());
                await Task.Delay(TimeSpan.FromSeconds(faults.Options.SlowStartSeconds), time, aborted);
            }

            var header = context.Request.Headers["X-Request-Id"].ToString();
            var id = (kind == InferenceKind.Chat ? "chatcmpl-" : "cmpl-")
                + (!string.IsNullOrEmpty(header) ? header : request.RequestId ?? Guid.NewGuid().ToString("N"));
            var call = new InferenceCall(id, kind, request, choices, time.GetUtcNow().ToUnixTimeSeconds(), _options.ServedModelNames[0], fault == FaultKind.Disconnect);
            await RunAsync(context, call);
        }
        catch (ApiError error)
        {
            await ApiError.WriteAsync(context, error.Status, error.Message, error.Param);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left before anything was submitted.
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.Buffer.Length > MaxBodyBytes)
            {
                throw new ApiError(StatusCodes.Status413RequestEntityTooLarge, $"The request body exceeds {MaxBodyBytes} bytes.");
            }

            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                if (bytes.Length == 0)
                {
                    throw ApiError.BadRequest("The request body is empty; expected a JSON object.");
                }

                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private async Task RunAsync(HttpContext context, InferenceCall call)
    {
        var channel = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true });
        var byEngineId = new Dictionary<string, CompletionChoice>(call.Choices.Count, StringComparer.Ordinal);
        foreach (var choice in call.Choices)
        {
            choice.EngineId = $"{call.Id}-{choice.Index}-{Guid.NewGuid():N}";
            byEngineId[choice.EngineId] = choice;
        }

        foreach (var choice in call.Choices)
        {
            choice.Sequence = driver.Submit(new GenerationRequest
            {
                RequestId = choice.EngineId!,
                PromptTokenIds = choice.Prompt.TokenIds,
                OutputTokens = choice.Output.TokenIds.Count,
                OutputTokenIds = choice.Output.TokenIds,
                FinishReason = choice.Output.Stopped ? FinishReason.Stop : FinishReason.Length,
            }, channel.Writer);
        }

        var aborted = context.RequestAborted;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, drain.Deadline);
        var produced = 0;
        try
        {
            if (call.Request.Stream)
            {
                await StreamAsync(context, call, channel.Reader, byEngineId, () => produced++, stop.Token);
            }
            else
            {
                var finished = 0;
                while (finished < call.Choices.Count)
                {
                    var token = await channel.Reader.ReadAsync(stop.Token);
                    byEngineId[token.Sequence.RequestId].Produced = token.Index + 1;
                    produced++;
                    if (call.Disconnect && produced * 2 >= call.TotalTokens)
                    {
                        throw new ClientGoneException();
                    }

                    if (token.IsFinal)
                    {
                        finished++;
                    }
                }

                await WriteBodyAsync(context, call, _options.EnablePromptTokensDetails);
            }

            var usage = call.Usage;
            LogFinished(call.Id, call.Choices.Count, usage.PromptTokens, usage.CachedTokens, usage.CompletionTokens);
            Tag(call, usage);
        }
        catch (InvalidOperationException ex) when (!aborted.IsCancellationRequested)
        {
            // The engine gave up on the request (see EngineDriver): say so in vLLM's shapes.
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, ex.InnerException?.Message ?? ex.Message);
        }
        catch (OperationCanceledException) when (drain.Deadline.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            var freed = AbortSequences(call);
            LogEndedByShutdown(call.Id, produced, freed);
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ShuttingDown);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ClientGoneException or IOException)
        {
            var freed = AbortSequences(call);
            if (ex is ClientGoneException)
            {
                LogFault(nameof(FaultKind.Disconnect));
                context.Abort();
            }
            else
            {
                LogAborted(call.Id, produced, freed);
            }
        }
    }

    /// <summary>Frees the call's engine sequences (and their KV blocks); returns how many were still running.</summary>
    private int AbortSequences(InferenceCall call)
    {
        var freed = 0;
        foreach (var choice in call.Choices)
        {
            if (driver.Abort(choice.EngineId!))
            {
                freed++;
            }
        }

        return freed;
    }

    /// <summary>An error in vLLM's shapes: the JSON body before the response started, else an error event and <c>[DONE]</c>.</summary>
    private static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (!context.Response.HasStarted)
        {
            await ApiError.WriteAsync(context, status, message);
            return;
        }

        var output = context.Response.BodyWriter;
        ResponseWriter.WriteEvent(output, json => ApiError.WriteErrorObject(json, status, message, null));
        output.Write(ResponseWriter.Done.Span);
        await output.FlushAsync(CancellationToken.None);
    }

    /// <summary>GenAI semantic-convention tags on the request's server span, so the dashboard's trace shows what the
    /// engine did: tokens, prefix-cache hit, and the model's (virtual) time to first token and queue time.</summary>
    private static void Tag(InferenceCall call, Usage usage)
    {
        if (System.Diagnostics.Activity.Current is not { IsAllDataRequested: true } activity)
        {
            return;
        }

        activity.SetTag("gen_ai.system", "vllm");
        activity.SetTag("gen_ai.operation.name", call.Kind == InferenceKind.Chat ? "chat" : "text_completion");
        activity.SetTag("gen_ai.request.model", call.Request.Model ?? call.Model);
        activity.SetTag("gen_ai.response.id", call.Id);
        activity.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
        activity.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
        activity.SetTag("vllm.cached_tokens", usage.CachedTokens);
        if (call.Choices[0].Sequence is { } sequence)
        {
            if (sequence.TimeToFirstToken is { } ttft)
            {
                activity.SetTag("vllm.time_to_first_token_s", ttft.TotalSeconds);
            }

            if (sequence.FirstScheduled is { } scheduled)
            {
                activity.SetTag("vllm.queue_time_s", (scheduled - sequence.Arrival).TotalSeconds);
            }

            activity.SetTag("vllm.preemptions", sequence.Preemptions);
        }
    }

    private async Task StreamAsync(
        HttpContext context,
        InferenceCall call,
        ChannelReader<TokenEvent> reader,
        Dictionary<string, CompletionChoice> byEngineId,
        Action onToken,
        CancellationToken aborted)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(aborted);
        var output = response.BodyWriter;

        // Headers leave now, as uvicorn sends them before the first token: a queued request is visibly accepted.
        await output.FlushAsync(aborted);
        var finished = 0;
        var produced = 0;
        while (finished < call.Choices.Count)
        {
            var token = await reader.ReadAsync(aborted);
            do
            {
                var choice = byEngineId[token.Sequence.RequestId];
                choice.Produced = token.Index + 1;
                produced++;
                onToken();
                if (call.Disconnect && produced * 2 >= call.TotalTokens)
                {
                    await output.FlushAsync(aborted);
                    throw new ClientGoneException();
                }

                CompletionWriter.WriteChunk(output, call, choice, token, _options.EnablePromptTokensDetails);
                if (token.IsFinal)
                {
                    finished++;
                }
            }
            while (finished < call.Choices.Count && reader.TryRead(out token));

            await output.FlushAsync(aborted);
        }

        if (call.Request.IncludeUsage)
        {
            CompletionWriter.WriteUsageChunk(output, call, _options.EnablePromptTokensDetails);
        }

        output.Write(ResponseWriter.Done.Span);
        await output.FlushAsync(aborted);
    }

    private static async Task WriteBodyAsync(HttpContext context, InferenceCall call, bool promptTokensDetails)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        CompletionWriter.WriteBody(buffer, call, promptTokensDetails);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug,
        Message = "Finished request {RequestId}: {Choices} choice(s), {PromptTokens} prompt tokens ({CachedTokens} cached), {CompletionTokens} generated")]
    private partial void LogFinished(string requestId, int choices, int promptTokens, int cachedTokens, int completionTokens);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information,
        Message = "Aborted request {RequestId}: client disconnected after {Tokens} token(s); {Sequences} engine sequence(s) aborted and their KV blocks freed")]
    private partial void LogAborted(string requestId, int tokens, int sequences);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information,
        Message = "Ended request {RequestId} at the shutdown timeout after {Tokens} token(s); {Sequences} engine sequence(s) aborted")]
    private partial void LogEndedByShutdown(string requestId, int tokens, int sequences);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Injecting fault {Fault}")]
    private partial void LogFault(string fault);

    /// <summary>The injected disconnect fault.</summary>
    private sealed class ClientGoneException : Exception;
}
