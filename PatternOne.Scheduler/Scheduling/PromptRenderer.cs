using System.Text;

namespace PatternOne.Scheduler.Scheduling;

/// <summary>
/// Renders chat messages into the single string the prefix index hashes. Upstream (GIE v1.0) uses the ChatML
/// framing below; any stable rendering works as long as the same conversation always yields the same prefix,
/// and framing the role keeps "user: x" and "system: x" apart.
/// </summary>
public static class PromptRenderer
{
    /// <summary>Appends one message as <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c>.</summary>
    public static StringBuilder AppendChatMessage(StringBuilder builder, string role, string content)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
    }

    /// <summary>Renders a whole conversation, messages in order.</summary>
    public static string RenderChat(IEnumerable<(string Role, string Content)> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var builder = new StringBuilder();
        foreach (var (role, content) in messages)
        {
            AppendChatMessage(builder, role, content);
        }

        return builder.ToString();
    }
}
