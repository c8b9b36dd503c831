using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace PatternOne.ServiceDefaults.Prometheus;

/// <summary>One sample line of Prometheus text exposition, as slices of the page: <c>name{labels} value [timestamp]</c>.</summary>
/// <param name="name">The metric name.</param>
/// <param name="labels">What stands between the braces (empty for none), still escaped; read it with <see cref="PrometheusLabels"/>.</param>
/// <param name="valueText">The value as written; parsed only when asked (<see cref="TryGetValue"/>), since most lines of a page are skipped by name.</param>
public readonly ref struct PrometheusTextSample(ReadOnlySpan<byte> name, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> valueText)
{
    public ReadOnlySpan<byte> Name { get; } = name;

    public ReadOnlySpan<byte> Labels { get; } = labels;

    public ReadOnlySpan<byte> ValueText { get; } = valueText;

    /// <summary>The sample value (NaN and ±Inf included); false when the line's value is not a number.</summary>
    public bool TryGetValue(out double value)
    {
        if (Utf8Parser.TryParse(ValueText, out value, out var consumed) && consumed == ValueText.Length)
        {
            return true;
        }

        // NaN and ±Inf are legal in the exposition format; Utf8Parser does not read them.
        var text = Encoding.ASCII.GetString(ValueText);
        return double.TryParse(text.Replace("Inf", "Infinity", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
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
        while (!_rest.IsEmpty)
        {
            var end = _rest.IndexOf((byte)'\n');
            var line = (end < 0 ? _rest : _rest[..end]).Trim((byte)' ');
            _rest = end < 0 ? default : _rest[(end + 1)..];
            if (TryParseLine(line, out sample))
            {
                return true;
            }
        }

        sample = default;
        return false;
    }

    private static bool TryParseLine(ReadOnlySpan<byte> line, out PrometheusTextSample sample)
    {
        sample = default;
        if (line.IsEmpty || line[0] == (byte)'#')
        {
            return false;
        }

        var nameEnd = line.IndexOfAny((byte)'{', (byte)' ');
        if (nameEnd <= 0)
        {
            return false;
        }

        var name = line[..nameEnd];
        ReadOnlySpan<byte> labels = default;
        var rest = line[nameEnd..];
        if (rest[0] == (byte)'{')
        {
            var close = rest.LastIndexOf((byte)'}');
            if (close < 0)
            {
                return false;
            }

            labels = rest[1..close];
            rest = rest[(close + 1)..];
        }

        // The value is the first token after the name and labels; a timestamp may follow.
        rest = rest.TrimStart((byte)' ');
        var space = rest.IndexOfAny((byte)' ', (byte)'\r');
        sample = new PrometheusTextSample(name, labels, space < 0 ? rest : rest[..space]);
        return true;
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
