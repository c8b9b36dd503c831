using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Faults;
using PatternOne.VllmSimulator.Options;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>
/// <c>/v1/chat/completions</c> and <c>/v1/completions</c>, a thin layer over the engine:
/// <code>
/// 1. parse and validate (400), check the model (404), render the chat template and tokenize
/// 2. check the context window (400 "maximum context length")
/// 3. decide the answer's text up front (seeded), submit one engine sequence per choice
/// 4. relay tokens as the engine's steps end: SSE chunks, or one JSON body at the end
/// 5. client gone → abort the sequences in the engine (their KV blocks are freed)
/// </code>
/// </summary>
internal sealed partial class InferenceEndpoint(
    IEngineDriver driver,
    ITokenizer tokenizer,
    IFaultInjector faults,
    IOptions<SimulatorOptions> options,
    TimeProvider time,
    ILogger<InferenceEndpoint> logger)
{
    private const int MaxBodyBytes = 32 * 1024 * 1024;

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

            var choices = Prepare(request);
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
            var call = new Call(id, kind, request, choices, time.GetUtcNow().ToUnixTimeSeconds(), _options.ServedModelNames[0], fault == FaultKind.Disconnect);
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

    /// <summary>Tokenizes, checks the context window and decides each choice's text.</summary>
    private List<Choice> Prepare(InferenceRequest request)
    {
        var prompts = new List<PromptInput>();
        if (request.Kind == InferenceKind.Chat)
        {
            var text = ChatTemplate.Render(request.Messages, request.AddGenerationPrompt, request.Tools);
            prompts.Add(Tokenize(text));
        }
        else
        {
            prompts.AddRange(request.PromptTexts.Select(Tokenize));
            prompts.AddRange(request.PromptTokenIds.Select(ids => new PromptInput(tokenizer.Decode(ids), ids)));
        }

        // Every choice is a sequence the engine holds at once; a batch larger than the engine's --max-num-seqs could
        // never run together, and an unbounded one (a huge prompt array times n) would exhaust memory before it started.
        var sequences = (long)prompts.Count * request.N;
        var maxSequences = driver.Options.MaxNumSeqs;
        if (sequences > maxSequences)
        {
            throw ApiError.BadRequest(
                $"The request asks for {sequences} sequences ({prompts.Count} prompts × n={request.N}), more than this server's " +
                $"max-num-seqs of {maxSequences}. Send fewer prompts per request or a smaller n.",
                request.Kind == InferenceKind.Chat ? "n" : "prompt");
        }

        var maxModelLen = driver.Options.MaxModelLen;
        var choices = new List<Choice>((int)sequences);
        for (var p = 0; p < prompts.Count; p++)
        {
            var prompt = prompts[p];
            var promptTokens = prompt.TokenIds.Count;
            var defaultMax = request.Kind == InferenceKind.Chat ? maxModelLen - promptTokens : 16;
            var maxTokens = request.MaxTokens ?? defaultMax;
            if (promptTokens >= maxModelLen || promptTokens + maxTokens > maxModelLen)
            {
                var where = request.Kind == InferenceKind.Chat ? "messages" : "prompt";
                throw ApiError.BadRequest(
                    $"This model's maximum context length is {maxModelLen} tokens. However, you requested {promptTokens + Math.Max(maxTokens, 0)} tokens " +
                    $"({promptTokens} in the {where}, {Math.Max(maxTokens, 0)} in the completion). Please reduce the length of the {where} or completion.",
                    request.MaxTokens is null || promptTokens >= maxModelLen ? where : "max_tokens");
            }

            var seed = request.Seed ?? TextGenerator.SeedOf(prompt.TokenIds);
            for (var i = 0; i < request.N; i++)
            {
                var output = TextGenerator.Generate(seed + i, maxTokens, request.IgnoreEos, request.Stop);
                choices.Add(new Choice((p * request.N) + i, prompt, output, i == 0));
            }
        }

        return choices;
    }

    private PromptInput Tokenize(string text)
    {
        var ids = new List<int>(text.Length / 3);
        tokenizer.Encode(text, ids);
        return new PromptInput(text, ids);
    }

    private async Task RunAsync(HttpContext context, Call call)
    {
        var channel = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true });
        var byEngineId = new Dictionary<string, Choice>(call.Choices.Count, StringComparer.Ordinal);
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
        var produced = 0;
        try
        {
            if (call.Request.Stream)
            {
                await StreamAsync(context, call, channel.Reader, byEngineId, () => produced++);
            }
            else
            {
                var finished = 0;
                while (finished < call.Choices.Count)
                {
                    var token = await channel.Reader.ReadAsync(aborted);
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

                await WriteResponseAsync(context, call);
            }

            var usage = call.Usage;
            LogFinished(call.Id, call.Choices.Count, usage.PromptTokens, usage.CachedTokens, usage.CompletionTokens);
            Tag(call, usage);
        }
        catch (InvalidOperationException ex) when (!aborted.IsCancellationRequested)
        {
            // The engine gave up on the request (see EngineDriver): say so in vLLM's shapes.
            if (!context.Response.HasStarted)
            {
                await ApiError.WriteAsync(context, StatusCodes.Status500InternalServerError, ex.InnerException?.Message ?? ex.Message);
            }
            else
            {
                var output = context.Response.BodyWriter;
                ResponseWriter.WriteEvent(output, json => ApiError.WriteErrorObject(json, 500, ex.InnerException?.Message ?? ex.Message, null));
                output.Write(ResponseWriter.Done.Span);
                await output.FlushAsync(CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ClientGoneException or IOException)
        {
            var freed = 0;
            foreach (var choice in call.Choices)
            {
                if (driver.Abort(choice.EngineId!))
                {
                    freed++;
                }
            }

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

    /// <summary>GenAI semantic-convention tags on the request's server span, so the dashboard's trace shows what the
    /// engine did: tokens, prefix-cache hit, and the model's (virtual) time to first token and queue time.</summary>
    private static void Tag(Call call, Usage usage)
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
        Call call,
        ChannelReader<TokenEvent> reader,
        Dictionary<string, Choice> byEngineId,
        Action onToken)
    {
        var aborted = context.RequestAborted;
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

                WriteChunk(output, call, choice, token);
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
            ResponseWriter.WriteEvent(output, json =>
            {
                WriteChunkHeader(json, call);
                json.WriteStartArray("choices");
                json.WriteEndArray();
                ResponseWriter.WriteUsage(json, call.Usage, _options.EnablePromptTokensDetails, nullDetailsWhenOff: false);
                json.WriteEndObject();
            });
        }

        output.Write(ResponseWriter.Done.Span);
        await output.FlushAsync(aborted);
    }

    private void WriteChunk(PipeWriter output, Call call, Choice choice, TokenEvent token)
    {
        var chat = call.Kind == InferenceKind.Chat;
        if (chat && token.Index == 0)
        {
            // vLLM sends the role with the first engine output, so it arrives at TTFT like the first content.
            ResponseWriter.WriteEvent(output, json =>
            {
                WriteChunkHeader(json, call);
                json.WriteStartArray("choices");
                json.WriteStartObject();
                json.WriteNumber("index", choice.Index);
                json.WriteStartObject("delta");
                json.WriteString("role", "assistant");
                json.WriteString("content", string.Empty);
                json.WriteEndObject();
                json.WriteNull("logprobs");
                json.WriteNull("finish_reason");
                json.WriteEndObject();
                json.WriteEndArray();
                WriteContinuousUsage(json, call);
                json.WriteEndObject();
            });
        }

        var piece = choice.Output.Pieces[token.Index];
        if (!chat && token.Index == 0 && call.Request.Echo)
        {
            piece = choice.Prompt.Text + piece;
        }

        ResponseWriter.WriteEvent(output, json =>
        {
            WriteChunkHeader(json, call);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", choice.Index);
            if (chat)
            {
                json.WriteStartObject("delta");
                json.WriteString("content", piece);
                json.WriteEndObject();
                json.WriteNull("logprobs");
            }
            else
            {
                json.WriteString("text", piece);
                json.WriteNull("logprobs");
            }

            if (token.FinishReason is { } reason)
            {
                json.WriteString("finish_reason", ResponseWriter.FinishReasonText(reason));
                ResponseWriter.WriteStopReason(json, choice.Output.StopString);
            }
            else
            {
                json.WriteNull("finish_reason");
                if (!chat)
                {
                    json.WriteNull("stop_reason");
                }
            }

            json.WriteEndObject();
            json.WriteEndArray();
            WriteContinuousUsage(json, call);
            json.WriteEndObject();
        });
    }

    private void WriteContinuousUsage(Utf8JsonWriter json, Call call)
    {
        if (call.Request.ContinuousUsageStats && call.Request.IncludeUsage)
        {
            ResponseWriter.WriteUsage(json, call.Usage, _options.EnablePromptTokensDetails, nullDetailsWhenOff: false);
        }
    }

    private static void WriteChunkHeader(Utf8JsonWriter json, Call call)
    {
        json.WriteStartObject();
        json.WriteString("id", call.Id);
        json.WriteString("object", call.Kind == InferenceKind.Chat ? "chat.completion.chunk" : "text_completion");
        json.WriteNumber("created", call.Created);
        json.WriteString("model", call.Model);
    }

    private async Task WriteResponseAsync(HttpContext context, Call call)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var chat = call.Kind == InferenceKind.Chat;
            json.WriteStartObject();
            json.WriteString("id", call.Id);
            json.WriteString("object", chat ? "chat.completion" : "text_completion");
            json.WriteNumber("created", call.Created);
            json.WriteString("model", call.Model);
            json.WriteStartArray("choices");
            foreach (var choice in call.Choices)
            {
                json.WriteStartObject();
                json.WriteNumber("index", choice.Index);
                var text = choice.Output.Text;
                if (chat)
                {
                    json.WriteStartObject("message");
                    json.WriteString("role", "assistant");
                    json.WriteString("content", text);
                    json.WriteNull("refusal");
                    json.WriteNull("annotations");
                    json.WriteNull("audio");
                    json.WriteNull("function_call");
                    json.WriteStartArray("tool_calls");
                    json.WriteEndArray();
                    json.WriteNull("reasoning_content");
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteString("text", call.Request.Echo ? choice.Prompt.Text + text : text);
                }

                json.WriteNull("logprobs");
                json.WriteString("finish_reason", choice.Output.Stopped ? "stop" : "length");
                ResponseWriter.WriteStopReason(json, choice.Output.StopString);
                if (!chat)
                {
                    json.WriteNull("prompt_logprobs");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNull("service_tier");
            json.WriteNull("system_fingerprint");

            ResponseWriter.WriteUsage(json, call.Usage, _options.EnablePromptTokensDetails, nullDetailsWhenOff: true);
            json.WriteNull("prompt_logprobs");
            json.WriteNull("kv_transfer_params");
            json.WriteEndObject();
        }

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

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Injecting fault {Fault}")]
    private partial void LogFault(string fault);

    /// <summary>The injected disconnect fault.</summary>
    private sealed class ClientGoneException : Exception;

    /// <summary>One choice: its prompt, its predetermined output and its engine sequence.</summary>
    private sealed class Choice(int index, PromptInput prompt, GeneratedText output, bool firstOfPrompt)
    {
        public int Index { get; } = index;
        public PromptInput Prompt { get; } = prompt;
        public GeneratedText Output { get; } = output;
        public bool FirstOfPrompt { get; } = firstOfPrompt;
        public string? EngineId { get; set; }
        public EngineSequence? Sequence { get; set; }
        public int Produced { get; set; }
    }

    /// <summary>One HTTP call.</summary>
    private sealed record Call(string Id, InferenceKind Kind, InferenceRequest Request, List<Choice> Choices, long Created, string Model, bool Disconnect)
    {
        public int TotalTokens => Choices.Sum(c => c.Output.TokenIds.Count);

        /// <summary>Usage so far: prompts counted once per prompt, cached tokens as the engine reported them.</summary>
        public Usage Usage
        {
            get
            {
                int prompt = 0, completion = 0, cached = 0;
                foreach (var choice in Choices)
                {
                    completion += choice.Produced;
                    if (choice.FirstOfPrompt)
                    {
                        prompt += choice.Prompt.TokenIds.Count;
                        cached += choice.Sequence?.CachedTokens ?? 0;
                    }
                }

                return new Usage(prompt, completion, cached);
            }
        }
    }
}
