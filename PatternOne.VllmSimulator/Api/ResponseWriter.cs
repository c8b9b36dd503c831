using System.Buffers;
using System.Text.Json;
using PatternOne.VllmSimulator.Engine;

namespace PatternOne.VllmSimulator.Api;

/// <summary>Token counts of a response, as vLLM's <c>UsageInfo</c>.</summary>
/// <param name="PromptTokens">Prompt tokens (summed over prompts).</param>
/// <param name="CompletionTokens">Generated tokens (summed over choices).</param>
/// <param name="CachedTokens">Prompt tokens served from the prefix cache; reported only with --enable-prompt-tokens-details.</param>
public readonly record struct Usage(int PromptTokens, int CompletionTokens, int CachedTokens);

/// <summary>
/// Writes vLLM's response and stream-chunk JSON (vLLM's vllm/entrypoints/openai/ serving_chat.py and serving_completion.py) with <see cref="Utf8JsonWriter"/>, so the
/// field set and order match vLLM's, nulls included where vLLM sends them.
/// </summary>
internal static class ResponseWriter
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    /// <summary>The SSE terminator.</summary>
    public static ReadOnlyMemory<byte> Done { get; } = "data: [DONE]\n\n"u8.ToArray();

    public static string FinishReasonText(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => "abort",
    };

    public static void WriteUsage(Utf8JsonWriter json, Usage usage, bool promptTokensDetails, bool nullDetailsWhenOff)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.PromptTokens);
        json.WriteNumber("total_tokens", usage.PromptTokens + usage.CompletionTokens);
        json.WriteNumber("completion_tokens", usage.CompletionTokens);
        if (promptTokensDetails)
        {
            json.WriteStartObject("prompt_tokens_details");
            json.WriteNumber("cached_tokens", usage.CachedTokens);
            json.WriteEndObject();
        }
        else if (nullDetailsWhenOff)
        {
            json.WriteNull("prompt_tokens_details");
        }

        json.WriteEndObject();
    }

    /// <summary>One SSE event: <c>data: {json}\n\n</c>.</summary>
    public static void WriteEvent(IBufferWriter<byte> output, Action<Utf8JsonWriter> body)
    {
        output.Write(DataPrefix);
        using (var json = new Utf8JsonWriter(output))
        {
            body(json);
        }

        output.Write(EventEnd);
    }

    public static void WriteStopReason(Utf8JsonWriter json, string? stopReason)
    {
        if (stopReason is null)
        {
            json.WriteNull("stop_reason");
        }
        else
        {
            json.WriteString("stop_reason", stopReason);
        }
    }
}
