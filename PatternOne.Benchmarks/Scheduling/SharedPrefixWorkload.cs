using System.Text;
using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Benchmarks.Scheduling;

/// <summary>
/// The shape of inference-perf's <c>shared_prefix</c> data (GAIE <c>benchmarking/prefix-cache-aware/high-cache-values.yaml</c>, v1.2.0):
/// <c>Groups</c> system prompts of <c>SystemTokens</c> random tokens, each with <c>PromptsPerGroup</c> questions of
/// <c>QuestionTokens</c> random tokens; every request is one of the Groups × PromptsPerGroup prompts, drawn uniformly,
/// generating exactly <c>OutputTokens</c> (ignore_eos). The low-cache control swaps the two lengths. The prefix working
/// set (what prefix affinity can keep cached) is Groups × SystemTokens.
/// </summary>
public sealed record SharedPrefixWorkload(string Name, int Groups, int PromptsPerGroup, int SystemTokens, int QuestionTokens, int OutputTokens)
{
    /// <summary>One prompt: token ids for the engine, and the same tokens as chat text for the scheduler's prefix index.</summary>
    public sealed record Prompt(int Group, int[] TokenIds, string RenderedText);

    /// <summary>Tokens of all system prompts: the most the prefix cache of the pool could usefully hold.</summary>
    public long PrefixWorkingSetTokens => (long)Groups * SystemTokens;

    /// <summary>
    /// Every prompt, deterministic from <paramref name="seed"/>. System prompts are built now; a question is built each
    /// time its prompt is read (a large workload would not fit in memory as whole prompts), always the same for one index.
    /// </summary>
    public IReadOnlyList<Prompt> Build(int seed)
    {
        var rng = new Random(seed);
        var systems = new (int[] Ids, string Text)[Groups];
        for (var g = 0; g < Groups; g++)
        {
            var ids = RandomTokens(rng, SystemTokens);
            systems[g] = (ids, Render(ids));
        }

        return new PromptList(this, seed, systems);
    }

    private sealed class PromptList(SharedPrefixWorkload workload, int seed, (int[] Ids, string Text)[] systems) : IReadOnlyList<Prompt>
    {
        public int Count => workload.Groups * workload.PromptsPerGroup;

        public Prompt this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
                var group = index / workload.PromptsPerGroup;
                var (system, systemText) = systems[group];
                var question = RandomTokens(new Random(StableSeed.Of(seed, "question", index)), workload.QuestionTokens);
                var ids = new int[system.Length + question.Length];
                system.CopyTo(ids, 0);
                question.CopyTo(ids, system.Length);

                // The scheduler sees what the gateway would hand it for a chat request: messages rendered in order.
                var text = new StringBuilder(systemText.Length + (question.Length * 4) + 64);
                Scheduler.Scheduling.PromptRenderer.AppendChatMessage(text, "system", systemText);
                Scheduler.Scheduling.PromptRenderer.AppendChatMessage(text, "user", Render(question));
                return new Prompt(group, ids, text.ToString());
            }
        }

        public IEnumerator<Prompt> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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
