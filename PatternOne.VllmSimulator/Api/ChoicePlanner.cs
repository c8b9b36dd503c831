using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator.Api;

/// <summary>
/// Turns a parsed request into the choices the engine will run: renders and tokenizes the prompts, refuses what vLLM
/// refuses before scheduling (more sequences than <c>--max-num-seqs</c>, past the context window: 400 with the
/// field's name) and decides each choice's text up front (seeded, so a repeated request answers the same).
/// </summary>
internal static class ChoicePlanner
{
    /// <summary>One choice per prompt × <c>n</c>; throws <see cref="ApiError"/> for what vLLM rejects.</summary>
    public static List<CompletionChoice> Plan(InferenceRequest request, ITokenizer tokenizer, EngineOptions engine)
    {
        var prompts = new List<PromptInput>();
        if (request.Kind == InferenceKind.Chat)
        {
            var text = ChatTemplate.Render(request.Messages, request.AddGenerationPrompt, request.Tools);
            prompts.Add(Tokenize(tokenizer, text));
        }
        else
        {
            prompts.AddRange(request.PromptTexts.Select(text => Tokenize(tokenizer, text)));
            prompts.AddRange(request.PromptTokenIds.Select(ids => new PromptInput(tokenizer.Decode(ids), ids)));
        }

        // Every choice is a sequence the engine holds at once; a batch larger than the engine's --max-num-seqs could
        // never run together, and an unbounded one (a huge prompt array times n) would exhaust memory before it started.
        var sequences = (long)prompts.Count * request.N;
        var maxSequences = engine.MaxNumSeqs;
        if (sequences > maxSequences)
        {
            throw ApiError.BadRequest(
                $"The request asks for {sequences} sequences ({prompts.Count} prompts × n={request.N}), more than this server's " +
                $"max-num-seqs of {maxSequences}. Send fewer prompts per request or a smaller n.",
                request.Kind == InferenceKind.Chat ? "n" : "prompt");
        }

        var maxModelLen = engine.MaxModelLen;
        var choices = new List<CompletionChoice>((int)sequences);
        for (var p = 0; p < prompts.Count; p++)
        {
            var prompt = prompts[p];
            var promptTokens = prompt.TokenIds.Count;
            var defaultMax = request.Kind == InferenceKind.Chat ? maxModelLen - promptTokens : 16;
            var maxTokens = request.MaxTokens ?? defaultMax;
            if (promptTokens >= maxModelLen || promptTokens + maxTokens > maxModelLen)
            {
                var where = request.Kind == InferenceKind.Chat ? "messages" : "prompt";
                throw ApiError.BadRequest(
                    $"This model's maximum context length is {maxModelLen} tokens. However, you requested {promptTokens + Math.Max(maxTokens, 0)} tokens " +
                    $"({promptTokens} in the {where}, {Math.Max(maxTokens, 0)} in the completion). Please reduce the length of the {where} or completion.",
                    request.MaxTokens is null || promptTokens >= maxModelLen ? where : "max_tokens");
            }

            var seed = request.Seed ?? TextGenerator.SeedOf(prompt.TokenIds);
            for (var i = 0; i < request.N; i++)
            {
                var output = TextGenerator.Generate(seed + i, maxTokens, request.IgnoreEos, request.Stop);
                choices.Add(new CompletionChoice((p * request.N) + i, prompt, output, i == 0));
            }
        }

        return choices;
    }

    private static PromptInput Tokenize(ITokenizer tokenizer, string text)
    {
        var ids = new List<int>(text.Length / 3);
        tokenizer.Encode(text, ids);
        return new PromptInput(text, ids);
    }
}
