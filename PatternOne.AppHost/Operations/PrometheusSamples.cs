using System.Text;
using PatternOne.ServiceDefaults.Prometheus;

namespace PatternOne.AppHost.Operations;

/// <summary>One sample line of Prometheus text exposition: <c>name{label="value",…} 42</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// The samples of a <c>/metrics</c> page, for the dashboard's live state: every sample with its labels as strings,
/// read by the same <see cref="PrometheusTextReader"/> as the scheduler's 50 ms scrape (every two seconds, a few pages:
/// the strings cost nothing that matters here).
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
        var reader = new PrometheusTextReader(Encoding.UTF8.GetBytes(text));
        while (reader.TryRead(out var sample))
        {
            if (sample.TryGetValue(out var value))
            {
                samples.Add(new PrometheusSample(Encoding.UTF8.GetString(sample.Name), PrometheusLabels.ToDictionary(sample.Labels), value));
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
}
