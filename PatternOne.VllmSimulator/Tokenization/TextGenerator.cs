namespace PatternOne.VllmSimulator.Tokenization;

/// <summary>The simulated model's answer: its token pieces, ids and why it ended.</summary>
/// <param name="Pieces">Text of each generated token (the last may be cut at a stop string).</param>
/// <param name="TokenIds">Id of each generated token.</param>
/// <param name="Stopped">True when it ended on EOS or a stop string (<c>"stop"</c>), false at max_tokens (<c>"length"</c>).</param>
/// <param name="StopString">The stop string that ended it, if any (vLLM's <c>stop_reason</c>).</param>
public sealed record GeneratedText(IReadOnlyList<string> Pieces, IReadOnlyList<int> TokenIds, bool Stopped, string? StopString)
{
    /// <summary>The whole text.</summary>
    public string Text => string.Concat(Pieces);
}

/// <summary>
/// Deterministic text for the simulated model. Same seed, same answer: the request's <c>seed</c> when given,
/// otherwise a hash of the prompt (so a repeated prompt gets a repeated answer, as with greedy decoding).
/// Honours max_tokens, stop strings and ignore_eos; without ignore_eos the "model" emits EOS after a natural
/// length drawn from the seed.
/// </summary>
public static class TextGenerator
{
    /// <summary>Shortest and longest natural answer (before EOS) in tokens.</summary>
    public const int MinNaturalTokens = 8;
    public const int MaxNaturalTokens = 256;

    private static readonly string[] Words =
    [
        "the", "model", "cache", "token", "prefix", "query", "route", "batch", "queue", "reply", "data", "graph",
        "serve", "fast", "small", "large", "engine", "block", "step", "time", "load", "path", "node", "pool",
        "will", "can", "is", "are", "was", "and", "or", "but", "with", "from", "into", "over", "each", "every",
        "first", "next", "last", "good", "clear", "short", "long", "plan", "test", "run", "call", "read",
    ];

    private static readonly string[] Punctuation = [".", ",", ".", ";", "."];

    /// <summary>Generates up to <paramref name="maxTokens"/> tokens.</summary>
    public static GeneratedText Generate(long seed, int maxTokens, bool ignoreEos, IReadOnlyList<string>? stop)
    {
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var natural = ignoreEos ? int.MaxValue : random.Next(MinNaturalTokens, MaxNaturalTokens + 1);
        var count = Math.Min(maxTokens, natural);
        var pieces = new List<string>(count);
        var ids = new List<int>(count);
        var text = new System.Text.StringBuilder();
        var capitalize = true;
        for (var i = 0; i < count; i++)
        {
            string piece;
            if (!capitalize && random.Next(8) == 0)
            {
                piece = Punctuation[random.Next(Punctuation.Length)];
                capitalize = piece == ".";
            }
            else
            {
                var word = Words[random.Next(Words.Length)];
                piece = capitalize
                    ? (i == 0 ? string.Empty : " ") + char.ToUpperInvariant(word[0]) + word[1..]
                    : " " + word;
                capitalize = false;
            }

            if (stop is { Count: > 0 } && FindStop(text, piece, stop) is { } hit)
            {
                pieces.Add(piece[..hit.KeepChars]);
                ids.Add(ApproximateTokenizer.IdOf(piece));
                return new GeneratedText(pieces, ids, true, hit.Stop);
            }

            text.Append(piece);
            pieces.Add(piece);
            ids.Add(ApproximateTokenizer.IdOf(piece));
        }

        return new GeneratedText(pieces, ids, count < maxTokens, null);
    }

    /// <summary>A seed from the prompt's token ids.</summary>
    public static long SeedOf(IReadOnlyList<int> promptTokenIds)
    {
        var hash = 1469598103934665603UL;
        foreach (var id in promptTokenIds)
        {
            hash = (hash ^ (uint)id) * 1099511628211UL;
        }

        return (long)hash;
    }

    private static (string Stop, int KeepChars)? FindStop(System.Text.StringBuilder text, string piece, IReadOnlyList<string> stops)
    {
        // Only the tail of the text so far can combine with the new piece into a stop string.
        var longest = stops.Max(s => s.Length);
        var tailStart = Math.Max(0, text.Length - longest + 1);
        var window = text.ToString(tailStart, text.Length - tailStart) + piece;
        (string Stop, int At)? best = null;
        foreach (var stop in stops)
        {
            if (stop.Length == 0)
            {
                continue;
            }

            var at = window.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && at + stop.Length > window.Length - piece.Length && (best is null || at < best.Value.At))
            {
                best = (stop, at);
            }
        }

        if (best is null)
        {
            return null;
        }

        // Characters of the new piece before the stop string (vLLM drops the stop string from the output).
        var keep = Math.Max(0, best.Value.At - (window.Length - piece.Length));
        return (best.Value.Stop, keep);
    }
}
