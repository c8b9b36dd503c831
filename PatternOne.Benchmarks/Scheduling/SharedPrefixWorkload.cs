using System.Text;

namespace PatternOne.Benchmarks.Scheduling;

/// <summary>
/// The shape of inference-perf's <c>shared_prefix</c> data (GAIE <c>benchmarking/prefix-cache-aware/high-cache-values.yaml</c>, v1.2.0):
/// <c>Groups</c> system prompts of <c>SystemTokens</c> random tokens, each with <c>PromptsPerGroup</c> questions of
/// <c>QuestionTokens</c> random tokens; every request is one of the Groups × PromptsPerGroup prompts, drawn uniformly,
/// generating exactly <c>OutputTokens</c> (ignore_eos). The low-cache control swaps the two lengths.
/// </summary>
public sealed record SharedPrefixWorkload(string Name, int Groups, int PromptsPerGroup, int SystemTokens, int QuestionTokens, int OutputTokens)
{
    /// <summary>One prompt: token ids for the engine, and the same tokens as chat text for the scheduler's prefix index.</summary>
    public sealed record Prompt(int Group, int[] TokenIds, string RenderedText);

    /// <summary>Builds every prompt deterministically from <paramref name="seed"/>.</summary>
    public IReadOnlyList<Prompt> Build(int seed)
    {
        var rng = new Random(seed);
        var prompts = new List<Prompt>(Groups * PromptsPerGroup);
        for (var g = 0; g < Groups; g++)
        {
            var system = RandomTokens(rng, SystemTokens);
            var systemText = Render(system);
            for (var q = 0; q < PromptsPerGroup; q++)
            {
                var question = RandomTokens(rng, QuestionTokens);
                var ids = new int[system.Length + question.Length];
                system.CopyTo(ids, 0);
                question.CopyTo(ids, system.Length);

                // The scheduler sees what the gateway would hand it for a chat request: messages rendered in order.
                var text = new StringBuilder(systemText.Length + (question.Length * 4) + 64);
                Scheduler.Scheduling.PromptRenderer.AppendChatMessage(text, "system", systemText);
                Scheduler.Scheduling.PromptRenderer.AppendChatMessage(text, "user", Render(question));
                prompts.Add(new Prompt(g, ids, text.ToString()));
            }
        }

        return prompts;
    }

    // Token ids → a 3-letter "word" each (≈4 characters per token with the space, the usual ratio for English BPE),
    // so the scheduler's 64-character blocks cover ~16 tokens, like a vLLM block.
    private const int FirstId = 1000;
    private const int IdRange = 26 * 26 * 26;

    private static int[] RandomTokens(Random rng, int count)
    {
        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = FirstId + rng.Next(IdRange);
        }

        return ids;
    }

    private static string Render(int[] ids)
    {
        var sb = new StringBuilder(ids.Length * 4);
        foreach (var id in ids)
        {
            var v = id - FirstId;
            sb.Append((char)('a' + (v % 26))).Append((char)('a' + (v / 26 % 26))).Append((char)('a' + (v / 676 % 26))).Append(' ');
        }

        return sb.ToString();
    }
}
