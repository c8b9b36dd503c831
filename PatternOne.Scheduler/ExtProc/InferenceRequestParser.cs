using System.Buffers;
using System.Text;
using System.Text.Json;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.ExtProc;

/// <summary>The fields of an OpenAI-style request body the scheduler uses.</summary>
internal readonly record struct ParsedInferenceRequest(string Model, string Prompt);

/// <summary>
/// Reads <c>model</c> and the prompt from an OpenAI/vLLM request body in one forward pass over the received chunks
/// (no concatenation): <c>prompt</c> (string or array of strings) for completions, <c>messages</c> rendered in
/// order for chat (string content, or the text parts of array content). Everything else is skipped.
/// </summary>
internal static class InferenceRequestParser
{
    private const int PromptChunkChars = 8000;

    /// <summary>Parses; on failure returns false with a message fit for the client.</summary>
    public static bool TryParse(in ReadOnlySequence<byte> body, out ParsedInferenceRequest request, out string error)
    {
        request = default;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The request body must be a JSON object.";
                return false;
            }

            string model = "";
            // Sized for a short prompt at once; a long one grows in StringBuilder's own chunks (≤ 8,000 chars), so no
            // buffer lands on the large-object heap (> 85 KB): one sized for a 220 KB body did, every request, and
            // drove gen2 collections (docs/performance.md).
            var prompt = new StringBuilder((int)Math.Min(body.Length, PromptChunkChars));
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        error = "'model' must be a string.";
                        return false;
                    }

                    model = reader.GetString() ?? "";
                }
                else if (reader.ValueTextEquals("prompt"u8))
                {
                    reader.Read();
                    ReadPrompt(ref reader, prompt);
                }
                else if (reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        error = "'messages' must be an array.";
                        return false;
                    }

                    ReadMessages(ref reader, prompt);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "The request body is not a single JSON object.";
                return false;
            }

            request = new ParsedInferenceRequest(model, prompt.ToString());
            error = "";
            return true;
        }
        catch (JsonException ex)
        {
            error = $"The request body is not valid JSON: {ex.Message}";
            return false;
        }
        catch (InvalidOperationException ex)
        {
            error = $"The request body is not valid: {ex.Message}";
            return false;
        }
    }

    private static void ReadPrompt(ref Utf8JsonReader reader, StringBuilder prompt)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            prompt.Append(reader.GetString());
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip(); // token-id prompts: nothing to hash as text
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                prompt.Append(reader.GetString());
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void ReadMessages(ref Utf8JsonReader reader, StringBuilder prompt)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            string role = "";
            string? content = null;
            StringBuilder? parts = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    role = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
                    if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        content = reader.GetString();
                    }
                    else
                    {
                        parts ??= new StringBuilder();
                        ReadContent(ref reader, parts);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            PromptRenderer.AppendChatMessage(prompt, role, content ?? parts?.ToString() ?? "");
        }
    }

    private static void ReadContent(ref Utf8JsonReader reader, StringBuilder content)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            content.Append(reader.GetString());
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        // [{"type":"text","text":"..."}, {"type":"image_url",...}]: only text parts shape the prefix.
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isText = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (isText && reader.TokenType == JsonTokenType.String)
                {
                    content.Append(reader.GetString());
                }
                else
                {
                    reader.Skip();
                }
            }
        }
    }
}
