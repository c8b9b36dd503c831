using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>Which OpenAI endpoint a request came to.</summary>
public enum InferenceKind
{
    /// <summary><c>/v1/chat/completions</c>.</summary>
    Chat,

    /// <summary><c>/v1/completions</c>.</summary>
    Completion,
}

/// <summary>One prompt of a request, rendered and tokenized.</summary>
/// <param name="Text">The prompt text (chat: after the chat template).</param>
/// <param name="TokenIds">Its token ids.</param>
public sealed record PromptInput(string Text, IReadOnlyList<int> TokenIds);

/// <summary>A validated chat or completions request: what the handler needs, nothing else.</summary>
public sealed record InferenceRequest
{
    public required InferenceKind Kind { get; init; }

    /// <summary>The requested model, or null when absent (vLLM then uses its first served name).</summary>
    public string? Model { get; init; }

    /// <summary>Chat messages (chat only).</summary>
    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>Tool definitions as raw JSON (chat only), rendered into the system turn.</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>Whether the chat template appends the assistant generation prompt (vLLM extra; default true).</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>Completions prompts as text (string or string[]).</summary>
    public IReadOnlyList<string> PromptTexts { get; init; } = [];

    /// <summary>Completions prompts as token ids (int[] or int[][]).</summary>
    public IReadOnlyList<IReadOnlyList<int>> PromptTokenIds { get; init; } = [];

    /// <summary><c>max_completion_tokens</c> or <c>max_tokens</c>; null means the endpoint's default.</summary>
    public int? MaxTokens { get; init; }

    public int N { get; init; } = 1;

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public bool ContinuousUsageStats { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public long? Seed { get; init; }

    public bool IgnoreEos { get; init; }

    /// <summary>Completions <c>echo</c>: the prompt is prepended to the output.</summary>
    public bool Echo { get; init; }

    /// <summary>vLLM's <c>request_id</c> extra, used for the response id.</summary>
    public string? RequestId { get; init; }
}
