using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PatternOne.ServiceDefaults.Prometheus;
using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Faults;
using PatternOne.VllmSimulator.Options;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>vLLM's non-inference endpoints: models, health, version, load, tokenize, detokenize, metrics.</summary>
internal sealed partial class ServerEndpoints(
    IEngineDriver driver, ITokenizer tokenizer, IFaultInjector faults, IOptions<SimulatorOptions> options, TimeProvider time,
    ILogger<ServerEndpoints> logger)
{
    private readonly SimulatorOptions _options = options.Value;
    private readonly long _started = time.GetUtcNow().ToUnixTimeSeconds();

    public Task ModelsAsync(HttpContext context) => WriteJsonAsync(context, json =>
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var name in _options.ServedModelNames)
        {
            json.WriteStartObject();
            json.WriteString("id", name);
            json.WriteString("object", "model");
            json.WriteNumber("created", _started);
            json.WriteString("owned_by", "vllm");
            json.WriteString("root", _options.Model);
            json.WriteNull("parent");
            json.WriteNumber("max_model_len", driver.Options.MaxModelLen);
            json.WriteStartArray("permission");
            json.WriteStartObject();
            json.WriteString("id", "modelperm-" + Guid.NewGuid().ToString("N"));
            json.WriteString("object", "model_permission");
            json.WriteNumber("created", _started);
            json.WriteBoolean("allow_create_engine", false);
            json.WriteBoolean("allow_sampling", true);
            json.WriteBoolean("allow_logprobs", true);
            json.WriteBoolean("allow_search_indices", false);
            json.WriteBoolean("allow_view", true);
            json.WriteBoolean("allow_fine_tuning", false);
            json.WriteString("organization", "*");
            json.WriteNull("group");
            json.WriteBoolean("is_blocking", false);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });

    public Task VersionAsync(HttpContext context) => WriteJsonAsync(context, json =>
    {
        json.WriteStartObject();
        json.WriteString("version", SimulatorOptions.VllmVersion);
        json.WriteEndObject();
    });

    public Task LoadAsync(HttpContext context)
    {
        var snapshot = driver.Snapshot();
        return WriteJsonAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("server_load", snapshot.Running + snapshot.Waiting);
            json.WriteEndObject();
        });
    }

    public Task MetricsAsync(HttpContext context)
    {
        context.Response.ContentType = PrometheusText.ContentType;
        return context.Response.WriteAsync(driver.MetricsText(), context.RequestAborted);
    }

    /// <summary>
    /// vLLM's <c>POST /reset_prefix_cache</c>. vLLM refuses while requests hold KV blocks and, there, still answers 200
    /// with only a warning in its log; the simulator answers 409 instead, so the operator who asked learns it did not happen.
    /// </summary>
    public async Task ResetPrefixCacheAsync(HttpContext context)
    {
        if (driver.ResetPrefixCache())
        {
            LogPrefixCacheReset(logger);
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        LogPrefixCacheResetRefused(logger);
        await ApiError.WriteAsync(context, StatusCodes.Status409Conflict,
            "Failed to reset prefix cache because some blocks are not freed yet (requests are running); retry when idle.");
    }

    /// <summary>The fault injection in force: <c>{"failure_rate":…, "kinds":[…]}</c>.</summary>
    public Task FaultsAsync(HttpContext context) => WriteFaultsAsync(context, faults.Options);

    /// <summary>Sets the fault injection from <c>{"failure_rate": 0–100, "kinds": ["error"|"disconnect"|"slow-start", …]}</c>.</summary>
    public async Task SetFaultsAsync(HttpContext context)
    {
        try
        {
            using var document = await ReadJsonAsync(context);
            var root = document.RootElement;
            if (!root.TryGetProperty("failure_rate", out var rate) || !rate.TryGetDouble(out var failureRate)
                || failureRate is < 0 or > 100)
            {
                throw ApiError.BadRequest("failure_rate must be a number from 0 to 100.", "failure_rate");
            }

            var kinds = new List<FaultKind>();
            if (root.TryGetProperty("kinds", out var kindsElement))
            {
                if (kindsElement.ValueKind != JsonValueKind.Array)
                {
                    throw ApiError.BadRequest("kinds must be an array of error, disconnect, slow-start.", "kinds");
                }

                foreach (var kind in kindsElement.EnumerateArray())
                {
                    if (kind.ValueKind != JsonValueKind.String || !FaultInjector.TryParseKind(kind.GetString()!, out var parsed))
                    {
                        throw ApiError.BadRequest($"Unknown fault kind {kind.GetRawText()}; use error, disconnect or slow-start.", "kinds");
                    }

                    kinds.Add(parsed);
                }
            }
            else
            {
                kinds.AddRange(faults.Options.Kinds);
            }

            faults.Configure(failureRate, kinds);
            LogFaultsSet(logger, failureRate, string.Join(',', kinds.Select(FaultInjector.Format)));
            await WriteFaultsAsync(context, faults.Options);
        }
        catch (ApiError error)
        {
            await ApiError.WriteAsync(context, error.Status, error.Message, error.Param);
        }
    }

    private static Task WriteFaultsAsync(HttpContext context, FaultOptions options) => WriteJsonAsync(context, json =>
    {
        json.WriteStartObject();
        json.WriteNumber("failure_rate", options.FailureRate);
        json.WriteStartArray("kinds");
        foreach (var kind in options.Kinds)
        {
            json.WriteStringValue(FaultInjector.Format(kind));
        }

        json.WriteEndArray();
        json.WriteNumber("error_status", options.ErrorStatus);
        json.WriteNumber("slow_start_seconds", options.SlowStartSeconds);
        json.WriteEndObject();
    });

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Prefix cache reset.")]
    private static partial void LogPrefixCacheReset(ILogger logger);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Failed to reset prefix cache because some blocks are not freed yet.")]
    private static partial void LogPrefixCacheResetRefused(ILogger logger);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "Fault injection set: {FailureRate} % of requests, kinds {Kinds}.")]
    private static partial void LogFaultsSet(ILogger logger, double failureRate, string kinds);

    public async Task TokenizeAsync(HttpContext context)
    {
        try
        {
            using var document = await ReadJsonAsync(context);
            var root = document.RootElement;
            CheckModel(root);
            var returnStrs = root.TryGetProperty("return_token_strs", out var strs) && strs.ValueKind == JsonValueKind.True;
            string text;
            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind != JsonValueKind.Null)
            {
                var request = InferenceRequestParser.Parse(InferenceKind.Chat, System.Text.Encoding.UTF8.GetBytes(root.GetRawText()));
                text = ChatTemplate.Render(request.Messages, request.AddGenerationPrompt, request.Tools);
            }
            else if (root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String)
            {
                text = prompt.GetString()!;
            }
            else
            {
                throw ApiError.BadRequest("Either prompt (a string) or messages is required.", "prompt");
            }

            var ids = new List<int>(text.Length / 3);
            var pieces = returnStrs ? new List<string>() : null;
            tokenizer.Encode(text, ids, pieces);
            await WriteJsonAsync(context, json =>
            {
                json.WriteStartObject();
                json.WriteNumber("count", ids.Count);
                json.WriteNumber("max_model_len", driver.Options.MaxModelLen);
                json.WriteStartArray("tokens");
                foreach (var id in ids)
                {
                    json.WriteNumberValue(id);
                }

                json.WriteEndArray();
                if (pieces is null)
                {
                    json.WriteNull("token_strs");
                }
                else
                {
                    json.WriteStartArray("token_strs");
                    foreach (var piece in pieces)
                    {
                        json.WriteStringValue(piece);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            });
        }
        catch (ApiError error)
        {
            await ApiError.WriteAsync(context, error.Status, error.Message, error.Param);
        }
    }

    public async Task DetokenizeAsync(HttpContext context)
    {
        try
        {
            using var document = await ReadJsonAsync(context);
            var root = document.RootElement;
            CheckModel(root);
            if (!root.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
            {
                throw ApiError.BadRequest("Field required: tokens (an array of token ids).", "tokens");
            }

            var ids = InferenceRequestParser.ReadTokenIds(tokens, 151_936, "tokens must be integers in [0, 151936).", "tokens");
            var text = tokenizer.Decode(ids);
            await WriteJsonAsync(context, json =>
            {
                json.WriteStartObject();
                json.WriteString("prompt", text);
                json.WriteEndObject();
            });
        }
        catch (ApiError error)
        {
            await ApiError.WriteAsync(context, error.Status, error.Message, error.Param);
        }
    }

    private void CheckModel(JsonElement root)
    {
        if (root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String
            && !_options.ServedModelNames.Contains(model.GetString()!, StringComparer.Ordinal))
        {
            throw ApiError.ModelNotFound(model.GetString()!);
        }
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        try
        {
            var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw ApiError.BadRequest("The request body must be a JSON object.");
            }

            return document;
        }
        catch (JsonException ex)
        {
            throw ApiError.BadRequest($"Invalid JSON in request body: {ex.Message}");
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
