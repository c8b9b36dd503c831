using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace PatternOne.ServiceDefaults.Prometheus;

/// <summary>
/// One sample line of Prometheus text exposition, <c>name{labels} value [timestamp]</c>, as a slice of the page. Only
/// the name is found up front; labels and value are cut out when asked, since most lines of a page are skipped by name.
/// </summary>
public readonly ref struct PrometheusTextSample
{
    private readonly ReadOnlySpan<byte> _line;
    private readonly int _nameEnd;

    internal PrometheusTextSample(ReadOnlySpan<byte> line, int nameEnd)
    {
        _line = line;
        _nameEnd = nameEnd;
    }

    /// <summary>The metric name.</summary>
    public ReadOnlySpan<byte> Name => _line[.._nameEnd];

    /// <summary>What stands between the braces (empty for none), still escaped; read it with <see cref="PrometheusLabels"/>.</summary>
    public ReadOnlySpan<byte> Labels => Split(out var labels, out _) ? labels : default;

    /// <summary>The sample value (NaN and ±Inf included); false when the line has no number where its value belongs.</summary>
    public bool TryGetValue(out double value)
    {
        value = 0;
        if (!Split(out _, out var rest))
        {
            return false;
        }

        // The value is the first token after name and labels; a timestamp may follow.
        rest = rest.TrimStart((byte)' ');
        var space = rest.IndexOfAny((byte)' ', (byte)'\r');
        var token = space < 0 ? rest : rest[..space];
        if (Utf8Parser.TryParse(token, out value, out var consumed) && consumed == token.Length)
        {
            return true;
        }

        // NaN and ±Inf are legal in the exposition format; Utf8Parser does not read them.
        var text = Encoding.ASCII.GetString(token);
        return double.TryParse(text.Replace("Inf", "Infinity", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Labels and what follows them; false when a label set is opened and never closed.</summary>
    private bool Split(out ReadOnlySpan<byte> labels, out ReadOnlySpan<byte> rest)
    {
        labels = default;
        rest = _line[_nameEnd..];
        if (rest[0] != (byte)'{')
        {
            return true;
        }

        var close = rest.LastIndexOf((byte)'}');
        if (close < 0)
        {
            return false;
        }

        labels = rest[1..close];
        rest = rest[(close + 1)..];
        return true;
    }
}

/// <summary>
/// Reads the samples of a Prometheus text exposition page straight from its UTF-8 bytes — one pass, no per-line
/// strings — skipping comments, blank lines and lines that are not samples. The one reader of <c>/metrics</c> pages:
/// the scheduler's 50 ms scrape of every replica and the AppHost's dashboard both go through it.
/// </summary>
public ref struct PrometheusTextReader(ReadOnlySpan<byte> page)
{
    private ReadOnlySpan<byte> _rest = page;

    /// <summary>Moves to the next sample line; false at the end of the page.</summary>
    public bool TryRead(out PrometheusTextSample sample)
    {
        // One loop, no helper per line: this runs for every line of every replica's page every 50 ms.
        while (!_rest.IsEmpty)
        {
            var end = _rest.IndexOf((byte)'\n');
            var line = end < 0 ? _rest : _rest[..end];
            _rest = end < 0 ? default : _rest[(end + 1)..];
            if (line.IsEmpty || line[0] == (byte)'#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny((byte)'{', (byte)' ');
            if (nameEnd <= 0)
            {
                continue;
            }

            sample = new PrometheusTextSample(line, nameEnd);
            return true;
        }

        sample = default;
        return false;
    }
}

/// <summary>Reads the <c>key="value",…</c> label set of a <see cref="PrometheusTextSample"/>.</summary>
public static class PrometheusLabels
{
    /// <summary>Finds <paramref name="key"/>; its value as written (escapes not undone: numbers and names need none).</summary>
    public static bool TryGetRaw(ReadOnlySpan<byte> labels, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        while (TryNext(ref labels, out var name, out value))
        {
            if (name.SequenceEqual(key))
            {
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>A label's value read as a whole number (or a float such as <c>"16.0"</c>, truncated).</summary>
    public static bool TryGetInteger(ReadOnlySpan<byte> labels, ReadOnlySpan<byte> key, out long value)
    {
        value = 0;
        if (!TryGetRaw(labels, key, out var raw))
        {
            return false;
        }

        if (Utf8Parser.TryParse(raw, out long whole, out var used) && used == raw.Length)
        {
            value = whole;
            return true;
        }

        if (Utf8Parser.TryParse(raw, out double real, out used) && used == raw.Length && double.IsFinite(real))
        {
            value = (long)real;
            return true;
        }

        return false;
    }

    /// <summary>Every label as strings, escapes (<c>\\</c>, <c>\"</c>, <c>\n</c>) undone.</summary>
    public static Dictionary<string, string> ToDictionary(ReadOnlySpan<byte> labels)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (TryNext(ref labels, out var key, out var value))
        {
            result[Encoding.UTF8.GetString(key)] = Unescape(Encoding.UTF8.GetString(value));
        }

        return result;
    }

    /// <summary>Cuts the next <c>key="value"</c> off <paramref name="labels"/>; false at the end or on a malformed pair.</summary>
    private static bool TryNext(scoped ref ReadOnlySpan<byte> labels, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        key = value = default;
        labels = labels.TrimStart(" ,"u8);
        var eq = labels.IndexOf((byte)'=');
        if (eq < 0 || eq + 1 >= labels.Length || labels[eq + 1] != (byte)'"')
        {
            return false;
        }

        key = labels[..eq].Trim((byte)' ');
        var afterQuote = labels[(eq + 2)..];
        var closing = ClosingQuote(afterQuote);
        if (closing < 0)
        {
            return false;
        }

        value = afterQuote[..closing];
        labels = afterQuote[(closing + 1)..];
        return true;
    }

    /// <summary>The index of the first quote not escaped by a backslash, or −1.</summary>
    private static int ClosingQuote(ReadOnlySpan<byte> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == (byte)'\\')
            {
                i++;
            }
            else if (text[i] == (byte)'"')
            {
                return i;
            }
        }

        return -1;
    }

    private static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
                builder.Append(value[i] == 'n' ? '\n' : value[i]);
            }
            else
            {
                builder.Append(value[i]);
            }
        }

        return builder.ToString();
    }
}
