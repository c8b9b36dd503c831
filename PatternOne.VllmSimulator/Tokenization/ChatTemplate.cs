using System.Text;

namespace PatternOne.VllmSimulator.Tokenization;

/// <summary>A chat message after parsing: its role and its text (content parts joined).</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// Qwen2.5's chat template (ChatML): every turn is <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>, the
/// default system prompt is injected when the first message is not a system message, tool results are wrapped in
/// <c>&lt;tool_response&gt;</c> user turns, tools are listed in the system turn, and the generation prompt is
/// <c>&lt;|im_start|&gt;assistant\n</c>.
/// </summary>
public static class ChatTemplate
{
    /// <summary>Renders <paramref name="messages"/> to the prompt text the model sees.</summary>
    public static string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyList<string>? toolsJson = null)
    {
        var builder = new StringBuilder(64 + messages.Sum(m => m.Content.Length + 32));
        var hasSystem = messages.Count > 0 && messages[0].Role == "system";
        var system = hasSystem ? messages[0].Content : Qwen25Vocabulary.DefaultSystemPrompt;
        builder.Append(Qwen25Vocabulary.ImStartText).Append("system\n").Append(system);
        if (toolsJson is { Count: > 0 })
        {
            builder.Append("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n")
                .Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
            foreach (var tool in toolsJson)
            {
                builder.Append('\n').Append(tool);
            }

            builder.Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within ")
                .Append("<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
        }

        builder.Append(Qwen25Vocabulary.ImEndText).Append('\n');
        for (var i = hasSystem ? 1 : 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.Role == "tool")
            {
                builder.Append(Qwen25Vocabulary.ImStartText).Append("user\n<tool_response>\n").Append(message.Content)
                    .Append("\n</tool_response>").Append(Qwen25Vocabulary.ImEndText).Append('\n');
                continue;
            }

            builder.Append(Qwen25Vocabulary.ImStartText).Append(message.Role).Append('\n').Append(message.Content)
                .Append(Qwen25Vocabulary.ImEndText).Append('\n');
        }

        if (addGenerationPrompt)
        {
            builder.Append(Qwen25Vocabulary.ImStartText).Append("assistant\n");
        }

        return builder.ToString();
    }
}
