using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using PatternOne.VllmSimulator.Engine;

namespace PatternOne.VllmSimulator.Api;

/// <summary>
/// A completions call's answer in vLLM's shapes: SSE chunks as tokens arrive (<c>chat.completion.chunk</c> /
/// <c>text_completion</c>), or one JSON body at the end; field set and order as vLLM's serving_chat.py and
/// serving_completion.py, built from <see cref="ResponseWriter"/>'s pieces.
/// </summary>
internal static class CompletionWriter
{
    public static void WriteChunk(PipeWriter output, InferenceCall call, CompletionChoice choice, TokenEvent token, bool promptTokensDetails)
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
                WriteContinuousUsage(json, call, promptTokensDetails);
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
            WriteContinuousUsage(json, call, promptTokensDetails);
            json.WriteEndObject();
        });
    }

    /// <summary>The final chunk of a stream with <c>include_usage</c>: no choices, the whole call's usage.</summary>
    public static void WriteUsageChunk(PipeWriter output, InferenceCall call, bool promptTokensDetails) =>
        ResponseWriter.WriteEvent(output, json =>
        {
            WriteChunkHeader(json, call);
            json.WriteStartArray("choices");
            json.WriteEndArray();
            ResponseWriter.WriteUsage(json, call.Usage, promptTokensDetails, nullDetailsWhenOff: false);
            json.WriteEndObject();
        });

    private static void WriteContinuousUsage(Utf8JsonWriter json, InferenceCall call, bool promptTokensDetails)
    {
        if (call.Request.ContinuousUsageStats && call.Request.IncludeUsage)
        {
            ResponseWriter.WriteUsage(json, call.Usage, promptTokensDetails, nullDetailsWhenOff: false);
        }
    }

    private static void WriteChunkHeader(Utf8JsonWriter json, InferenceCall call)
    {
        json.WriteStartObject();
        json.WriteString("id", call.Id);
        json.WriteString("object", call.Kind == InferenceKind.Chat ? "chat.completion.chunk" : "text_completion");
        json.WriteNumber("created", call.Created);
        json.WriteString("model", call.Model);
    }

    public static void WriteBody(IBufferWriter<byte> buffer, InferenceCall call, bool promptTokensDetails)
    {
        using var json = new Utf8JsonWriter(buffer);
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

        ResponseWriter.WriteUsage(json, call.Usage, promptTokensDetails, nullDetailsWhenOff: true);
        json.WriteNull("prompt_logprobs");
        json.WriteNull("kv_transfer_params");
        json.WriteEndObject();
    }
}
