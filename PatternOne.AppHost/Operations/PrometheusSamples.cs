using System.Globalization;

namespace PatternOne.AppHost.Operations;

/// <summary>One sample line of Prometheus text exposition: <c>name{label="value",…} 42</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// The samples of a <c>/metrics</c> page, for the dashboard's live state. Every two seconds, a few pages: plain string
/// parsing is ample (the scheduler's own 50 ms scrape uses its allocation-free reader).
/// </summary>
public sealed class PrometheusSamples
{
    private readonly List<PrometheusSample> _samples;

    private PrometheusSamples(List<PrometheusSample> samples) => _samples = samples;

    public IReadOnlyList<PrometheusSample> All => _samples;

    /// <summary>Parses exposition text; comment lines and lines that are not samples are skipped.</summary>
    public static PrometheusSamples Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0)
            {
                continue;
            }

            string name;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string rest;
            if (brace > 0 && brace < space)
            {
                name = line[..brace];
                var close = ParseLabels(line, brace + 1, labels);
                if (close < 0)
                {
                    continue;
                }

                rest = line[(close + 1)..].Trim();
            }
            else
            {
                name = line[..space];
                rest = line[(space + 1)..].Trim();
            }

            // A timestamp may follow the value.
            var valueText = rest.Split(' ', 2)[0];
            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                samples.Add(new PrometheusSample(name, labels, value));
            }
        }

        return new PrometheusSamples(samples);
    }

    /// <summary>The sum of every series of <paramref name="name"/> (0 when absent).</summary>
    public double Sum(string name) => _samples.Where(s => s.Name == name).Sum(s => s.Value);

    /// <summary>The highest value among the series of <paramref name="name"/>, or null when absent.</summary>
    public double? Max(string name) =>
        _samples.Where(s => s.Name == name).Select(s => (double?)s.Value).DefaultIfEmpty(null).Max();

    /// <summary>Sums of <paramref name="name"/> grouped by the value of <paramref name="label"/>.</summary>
    public IReadOnlyDictionary<string, double> SumBy(string name, string label) => _samples
        .Where(s => s.Name == name && s.Labels.ContainsKey(label))
        .GroupBy(s => s.Labels[label], StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Sum(s => s.Value), StringComparer.Ordinal);

    /// <summary>The value of <paramref name="label"/> on the first series of <paramref name="name"/>, or null.</summary>
    public string? Label(string name, string label) =>
        _samples.FirstOrDefault(s => s.Name == name && s.Labels.ContainsKey(label))?.Labels[label];

    /// <summary>Reads <c>key="value"</c> pairs from <paramref name="start"/>; returns the index of the closing brace, or −1.</summary>
    private static int ParseLabels(string line, int start, Dictionary<string, string> labels)
    {
        var i = start;
        while (i < line.Length)
        {
            if (line[i] == '}')
            {
                return i;
            }

            if (line[i] is ',' or ' ')
            {
                i++;
                continue;
            }

            var equals = line.IndexOf('=', i);
            if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"')
            {
                return -1;
            }

            var key = line[i..equals].Trim();
            var value = new System.Text.StringBuilder();
            var j = equals + 2;
            for (; j < line.Length && line[j] != '"'; j++)
            {
                if (line[j] == '\\' && j + 1 < line.Length)
                {
                    j++;
                    value.Append(line[j] == 'n' ? '\n' : line[j]);
                }
                else
                {
                    value.Append(line[j]);
                }
            }

            labels[key] = value.ToString();
            i = j + 1;
        }

        return -1;
    }
}
