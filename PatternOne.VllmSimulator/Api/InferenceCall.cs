using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>One choice: its prompt, its predetermined output and its engine sequence.</summary>
internal sealed class CompletionChoice(int index, PromptInput prompt, GeneratedText output, bool firstOfPrompt)
{
    public int Index { get; } = index;
    public PromptInput Prompt { get; } = prompt;
    public GeneratedText Output { get; } = output;
    public bool FirstOfPrompt { get; } = firstOfPrompt;
    public string? EngineId { get; set; }
    public EngineSequence? Sequence { get; set; }
    public int Produced { get; set; }
}

/// <summary>One HTTP call to a completions endpoint: its id, request and choices.</summary>
internal sealed record InferenceCall(string Id, InferenceKind Kind, InferenceRequest Request, List<CompletionChoice> Choices, long Created, string Model, bool Disconnect)
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
