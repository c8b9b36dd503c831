using System.Text.Json;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>Parses and validates request bodies as vLLM's pydantic models do, answering 400 with the field's name.</summary>
public static class InferenceRequestParser
{
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "user", "assistant", "tool", "developer", "function" };

    /// <summary>Parses a body; throws <see cref="ApiError"/> for anything vLLM would reject.</summary>
    public static InferenceRequest Parse(InferenceKind kind, ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw ApiError.BadRequest($"Invalid JSON in request body: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest("The request body must be a JSON object.");
            }

            var request = new InferenceRequest
            {
                Kind = kind,
                Model = OptionalString(root, "model"),
                MaxTokens = MaxTokens(root, kind),
                N = OptionalInt(root, "n") ?? 1,
                Stream = OptionalBool(root, "stream") ?? false,
                Stop = Stop(root),
                Seed = OptionalLong(root, "seed"),
                IgnoreEos = OptionalBool(root, "ignore_eos") ?? false,
                Echo = kind == InferenceKind.Completion && (OptionalBool(root, "echo") ?? false),
                RequestId = OptionalString(root, "request_id"),
                AddGenerationPrompt = OptionalBool(root, "add_generation_prompt") ?? true,
            };

            if (request.N < 1)
            {
                throw ApiError.BadRequest($"n must be at least 1, got {request.N}.", "n");
            }

            if (request.N > 128)
            {
                throw ApiError.BadRequest($"n must be at most 128, got {request.N}.", "n");
            }

            ValidateSampling(root);
            request = StreamOptions(root, request);
            return kind == InferenceKind.Chat ? ParseChat(root, request) : ParseCompletion(root, request);
        }
    }

    private static InferenceRequest ParseChat(JsonElement root, InferenceRequest request)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null)
        {
            throw ApiError.BadRequest("Field required: messages", "messages");
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.BadRequest("messages must be an array of message objects.", "messages");
        }

        if (messages.GetArrayLength() == 0)
        {
            throw ApiError.BadRequest("messages must contain at least one message.", "messages");
        }

        var parsed = new List<ChatMessage>(messages.GetArrayLength());
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest($"messages[{index}] must be an object.", "messages");
            }

            if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                throw ApiError.BadRequest($"messages[{index}].role is required and must be a string.", "messages");
            }

            var roleName = role.GetString()!;
            if (!Roles.Contains(roleName))
            {
                throw ApiError.BadRequest(
                    $"messages[{index}].role '{roleName}' is not one of system, user, assistant, tool, developer.", "messages");
            }

            parsed.Add(new ChatMessage(roleName, Content(message, index)));
            index++;
        }

        var tools = new List<string>();
        if (root.TryGetProperty("tools", out var toolsElement) && toolsElement.ValueKind != JsonValueKind.Null)
        {
            if (toolsElement.ValueKind != JsonValueKind.Array)
            {
                throw ApiError.BadRequest("tools must be an array.", "tools");
            }

            foreach (var tool in toolsElement.EnumerateArray())
            {
                tools.Add(tool.GetRawText());
            }
        }

        return request with { Messages = parsed, Tools = tools };
    }

    private static string Content(JsonElement message, int index)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return string.Empty; // assistant turns with tool_calls carry no content
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!;
            case JsonValueKind.Array:
                var text = new System.Text.StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.String)
                    {
                        text.Append(part.GetString());
                        continue;
                    }

                    if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                    {
                        throw ApiError.BadRequest($"messages[{index}].content parts must be objects with a type.", "messages");
                    }

                    if (type.GetString() == "text")
                    {
                        if (!part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                        {
                            throw ApiError.BadRequest($"messages[{index}].content text parts need a string 'text'.", "messages");
                        }

                        text.Append(partText.GetString());
                    }
                    else
                    {
                        throw ApiError.BadRequest(
                            $"messages[{index}].content part type '{type.GetString()}' is not supported: Qwen2.5-3B-Instruct is a text-only model.", "messages");
                    }
                }

                return text.ToString();
            default:
                throw ApiError.BadRequest($"messages[{index}].content must be a string or an array of content parts.", "messages");
        }
    }

    private static InferenceRequest ParseCompletion(JsonElement root, InferenceRequest request)
    {
        if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind == JsonValueKind.Null)
        {
            throw ApiError.BadRequest("Field required: prompt", "prompt");
        }

        const string Shape = "prompt must be a string, an array of strings, an array of token ids or an array of token-id arrays.";
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                return request with { PromptTexts = [NonEmpty(prompt.GetString()!)] };
            case JsonValueKind.Array when prompt.GetArrayLength() == 0:
                throw ApiError.BadRequest("prompt must not be empty.", "prompt");
            case JsonValueKind.Array:
                var first = prompt[0].ValueKind;
                if (first == JsonValueKind.String)
                {
                    var texts = new List<string>();
                    foreach (var item in prompt.EnumerateArray())
                    {
                        texts.Add(item.ValueKind == JsonValueKind.String ? NonEmpty(item.GetString()!) : throw ApiError.BadRequest(Shape, "prompt"));
                    }

                    return request with { PromptTexts = texts };
                }

                if (first == JsonValueKind.Number)
                {
                    return request with { PromptTokenIds = [TokenIds(prompt)] };
                }

                if (first == JsonValueKind.Array)
                {
                    var lists = new List<IReadOnlyList<int>>();
                    foreach (var item in prompt.EnumerateArray())
                    {
                        lists.Add(item.ValueKind == JsonValueKind.Array ? TokenIds(item) : throw ApiError.BadRequest(Shape, "prompt"));
                    }

                    return request with { PromptTokenIds = lists };
                }

                throw ApiError.BadRequest(Shape, "prompt");
            default:
                throw ApiError.BadRequest(Shape, "prompt");
        }

        static string NonEmpty(string text) =>
            text.Length > 0 ? text : throw ApiError.BadRequest("prompt must not be empty.", "prompt");
    }

    private static List<int> TokenIds(JsonElement array)
    {
        if (array.GetArrayLength() == 0)
        {
            throw ApiError.BadRequest("prompt must not be empty.", "prompt");
        }

        return ReadTokenIds(array, 151_665, "Token ids in prompt must be integers in [0, 151665).", "prompt");
    }

    /// <summary>
    /// An array of token ids, each an integer in [0, <paramref name="limit"/>); anything else is vLLM's 400 with
    /// <paramref name="error"/> on <paramref name="param"/>.
    /// </summary>
    internal static List<int> ReadTokenIds(JsonElement array, int limit, string error, string param)
    {
        var ids = new List<int>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id) || id < 0 || id >= limit)
            {
                throw ApiError.BadRequest(error, param);
            }

            ids.Add(id);
        }

        return ids;
    }

    private static int? MaxTokens(JsonElement root, InferenceKind kind)
    {
        var value = kind == InferenceKind.Chat ? OptionalInt(root, "max_completion_tokens") ?? OptionalInt(root, "max_tokens") : OptionalInt(root, "max_tokens");
        if (value is < 1)
        {
            var name = kind == InferenceKind.Chat && root.TryGetProperty("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens";
            throw ApiError.BadRequest($"{name} must be at least 1, got {value}.", name);
        }

        return value;
    }

    private static void ValidateSampling(JsonElement root)
    {
        if (OptionalDouble(root, "temperature") is { } temperature && (temperature < 0 || temperature > 2))
        {
            throw ApiError.BadRequest($"temperature must be in [0, 2], got {temperature}.", "temperature");
        }

        if (OptionalDouble(root, "top_p") is { } topP && (topP <= 0 || topP > 1))
        {
            throw ApiError.BadRequest($"top_p must be in (0, 1], got {topP}.", "top_p");
        }

        foreach (var penalty in (ReadOnlySpan<string>)["presence_penalty", "frequency_penalty"])
        {
            if (OptionalDouble(root, penalty) is { } value && (value < -2 || value > 2))
            {
                throw ApiError.BadRequest($"{penalty} must be in [-2, 2], got {value}.", penalty);
            }
        }

        if (OptionalInt(root, "top_k") is { } topK && topK is < -1 or 0)
        {
            throw ApiError.BadRequest($"top_k must be -1 (disable), or at least 1, got {topK}.", "top_k");
        }

    }

    private static InferenceRequest StreamOptions(JsonElement root, InferenceRequest request)
    {
        if (!root.TryGetProperty("stream_options", out var options) || options.ValueKind == JsonValueKind.Null)
        {
            return request;
        }

        if (!request.Stream)
        {
            throw ApiError.BadRequest("Stream options can only be defined when `stream=True`.", "stream_options");
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.BadRequest("stream_options must be an object.", "stream_options");
        }

        // vLLM: include_usage defaults to true once stream_options is present.
        return request with
        {
            IncludeUsage = OptionalBool(options, "include_usage") ?? true,
            ContinuousUsageStats = OptionalBool(options, "continuous_usage_stats") ?? false,
        };
    }

    private static List<string> Stop(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (stop.ValueKind == JsonValueKind.String)
        {
            return [stop.GetString()!];
        }

        if (stop.ValueKind == JsonValueKind.Array)
        {
            var list = new List<string>();
            foreach (var item in stop.EnumerateArray())
            {
                list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw ApiError.BadRequest("stop must be a string or an array of strings.", "stop"));
            }

            return list;
        }

        throw ApiError.BadRequest("stop must be a string or an array of strings.", "stop");
    }

    private static string? OptionalString(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw ApiError.BadRequest($"{name} must be a string.", name);

    private static bool? OptionalBool(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw ApiError.BadRequest($"{name} must be a boolean.", name);

    private static int? OptionalInt(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var parsed) ? parsed
        : throw ApiError.BadRequest($"{name} must be an integer.", name);

    private static long? OptionalLong(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var parsed) ? parsed
        : throw ApiError.BadRequest($"{name} must be an integer.", name);

    private static double? OptionalDouble(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
        : throw ApiError.BadRequest($"{name} must be a number.", name);
}
