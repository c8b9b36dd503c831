using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Options;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>vLLM's non-inference endpoints: models, health, version, load, tokenize, detokenize, metrics.</summary>
internal sealed class ServerEndpoints(IEngineDriver driver, ITokenizer tokenizer, IOptions<SimulatorOptions> options, TimeProvider time)
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
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        return context.Response.WriteAsync(driver.MetricsText(), context.RequestAborted);
    }

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

            var ids = new List<int>(tokens.GetArrayLength());
            foreach (var token in tokens.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.Number || !token.TryGetInt32(out var id) || id < 0 || id >= 151_936)
                {
                    throw ApiError.BadRequest("tokens must be integers in [0, 151936).", "tokens");
                }

                ids.Add(id);
            }

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
