namespace PatternOne.VllmSimulator.Tokenization;

/// <summary>Turns text into token ids and back.</summary>
public interface ITokenizer
{
    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/> (and the pieces to
    /// <paramref name="pieces"/> when given).</summary>
    void Encode(ReadOnlySpan<char> text, List<int> ids, List<string>? pieces = null);

    /// <summary>The text of <paramref name="ids"/>; unknown ids decode to nothing.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The text of one id, or null when the id was never produced by this process.</summary>
    string? Piece(int id);
}
