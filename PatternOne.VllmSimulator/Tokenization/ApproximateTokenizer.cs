using System.Collections.Concurrent;

namespace PatternOne.VllmSimulator.Tokenization;

/// <summary>
/// A deterministic stand-in for Qwen2.5's byte-level BPE that lands near its ≈4 characters per English token
/// (ratios from the Qwen2.5 tokenizer, huggingface.co/Qwen/Qwen2.5-3B-Instruct): a word with its leading space is one token up to 6 characters and continues in
/// 4-character pieces; punctuation is one token per character; whitespace runs are one token per 4 characters;
/// ChatML's special tokens are single tokens with Qwen's ids.
/// </summary>
/// <remarks>
/// Ids are a hash of the piece folded into Qwen's 151,643 regular ids, so the same text gives the same ids in every
/// process (prefix-cache hashes agree across replicas). Pieces seen by this process are remembered (up to a bound)
/// so <c>/detokenize</c> can answer; a hash collision decodes to the first piece seen — acceptable for a simulator.
/// </remarks>
internal sealed class ApproximateTokenizer : ITokenizer
{
    private const int FirstPieceMax = 6;
    private const int PieceMax = 4;
    private const int MaxRemembered = 1_000_000;

    private readonly ConcurrentDictionary<int, string> _pieces = new();

    public void Encode(ReadOnlySpan<char> text, List<int> ids, List<string>? pieces = null)
    {
        var i = 0;
        while (i < text.Length)
        {
            var length = NextPiece(text, i, out var special);
            var piece = text.Slice(i, length);
            var id = special ?? IdOf(piece);
            ids.Add(id);
            if (pieces is not null || (special is null && _pieces.Count < MaxRemembered && !_pieces.ContainsKey(id)))
            {
                var str = piece.ToString();
                pieces?.Add(str);
                if (special is null && _pieces.Count < MaxRemembered)
                {
                    _pieces.TryAdd(id, str);
                }
            }

            i += length;
        }
    }

    public string Decode(IEnumerable<int> ids)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var id in ids)
        {
            builder.Append(Piece(id));
        }

        return builder.ToString();
    }

    public string? Piece(int id) => id switch
    {
        Qwen25Vocabulary.EndOfText => Qwen25Vocabulary.EndOfTextText,
        Qwen25Vocabulary.ImStart => Qwen25Vocabulary.ImStartText,
        Qwen25Vocabulary.ImEnd => Qwen25Vocabulary.ImEndText,
        _ => _pieces.TryGetValue(id, out var piece) ? piece : null,
    };

    /// <summary>The id a piece of text maps to (FNV-1a folded into the regular vocabulary).</summary>
    internal static int IdOf(ReadOnlySpan<char> piece)
    {
        var hash = 2166136261u;
        foreach (var c in piece)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Qwen25Vocabulary.RegularTokens);
    }

    private static int NextPiece(ReadOnlySpan<char> text, int start, out int? special)
    {
        special = null;
        var c = text[start];
        if (c == '<' && text.Length - start >= 10)
        {
            var rest = text[start..];
            if (rest.StartsWith(Qwen25Vocabulary.ImStartText, StringComparison.Ordinal))
            {
                special = Qwen25Vocabulary.ImStart;
                return Qwen25Vocabulary.ImStartText.Length;
            }

            if (rest.StartsWith(Qwen25Vocabulary.ImEndText, StringComparison.Ordinal))
            {
                special = Qwen25Vocabulary.ImEnd;
                return Qwen25Vocabulary.ImEndText.Length;
            }

            if (rest.StartsWith(Qwen25Vocabulary.EndOfTextText, StringComparison.Ordinal))
            {
                special = Qwen25Vocabulary.EndOfText;
                return Qwen25Vocabulary.EndOfTextText.Length;
            }
        }

        // A word, optionally with one leading space (as BPE merges " word").
        var wordStart = c == ' ' && start + 1 < text.Length && char.IsLetterOrDigit(text[start + 1]) ? start + 1 : start;
        if (char.IsLetterOrDigit(text[wordStart]))
        {
            // Only whether the word is longer than a first piece matters; scanning past that made a long word
            // quadratic (a 15 MiB one-word prompt never got its 400).
            var end = wordStart;
            while (end < text.Length && end - start <= FirstPieceMax && char.IsLetterOrDigit(text[end]))
            {
                end++;
            }

            var wordLength = end - start;
            return wordLength <= FirstPieceMax ? wordLength : PieceMax;
        }

        if (char.IsWhiteSpace(c))
        {
            var end = start;
            while (end < text.Length && end - start < PieceMax && char.IsWhiteSpace(text[end]))
            {
                end++;
            }

            return end - start;
        }

        // A surrogate pair stays together; other symbols are one token each.
        return char.IsHighSurrogate(c) && start + 1 < text.Length ? 2 : 1;
    }
}
