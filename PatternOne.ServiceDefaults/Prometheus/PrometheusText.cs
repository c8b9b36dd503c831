using System.Globalization;
using System.Text;

namespace PatternOne.ServiceDefaults.Prometheus;

/// <summary>How sample values are printed: as the upstream a service stands in for prints them.</summary>
public enum PrometheusNumbers
{
    /// <summary>Go's client_golang (the Inference Extension's EPP): shortest round-trip form, <c>1</c>, <c>0.25</c>.</summary>
    Go,

    /// <summary>Python's prometheus_client (vLLM): integral values keep a trailing <c>.0</c>, <c>1.0</c>, <c>0.25</c>.</summary>
    Python,
}

/// <summary>
/// The Prometheus text exposition format 0.0.4, the one way the scheduler and the simulator write their
/// <c>/metrics</c>. Hand-written on purpose: the metric names are upstream's and must stay exact, and the libraries
/// measured cannot keep them — prometheus-net 8.2.1 rejects <c>:</c> in names (<c>vllm:num_requests_running</c>) and
/// the OpenTelemetry Prometheus exporter drops <c>vllm:</c> instruments and adds <c>otel_scope_name</c> labels and a
/// <c>target_info</c> series. (The gateway, whose names have no colon, serves its OpenTelemetry instruments through
/// that exporter.)
/// </summary>
public static class PrometheusText
{
    /// <summary>The scrape response's content type.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary><c># HELP</c> and <c># TYPE</c> lines of a family.</summary>
    public static void Header(StringBuilder output, string name, string help, string type) =>
        output.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
              .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    /// <summary>One sample line; <paramref name="labels"/> is pre-rendered (<see cref="Labels"/>), empty for none.</summary>
    public static void Sample(StringBuilder output, string name, string labels, double value, PrometheusNumbers numbers = PrometheusNumbers.Go)
    {
        output.Append(name);
        if (labels.Length > 0)
        {
            output.Append('{').Append(labels).Append('}');
        }

        output.Append(' ').Append(Format(value, numbers)).Append('\n');
    }

    /// <summary>A gauge family of one sample.</summary>
    public static void Gauge(StringBuilder output, string name, string help, string labels, double value, PrometheusNumbers numbers = PrometheusNumbers.Go)
    {
        Header(output, name, help, "gauge");
        Sample(output, name, labels, value, numbers);
    }

    /// <summary>A counter family of one sample.</summary>
    public static void Counter(StringBuilder output, string name, string help, string labels, double value, PrometheusNumbers numbers = PrometheusNumbers.Go)
    {
        Header(output, name, help, "counter");
        Sample(output, name, labels, value, numbers);
    }

    /// <summary>
    /// One histogram series (without its header): a <c>_bucket</c> line per bound with <c>le</c>, the <c>+Inf</c>
    /// bucket, <c>_sum</c> and <c>_count</c>. <paramref name="cumulative"/> holds the cumulative count at each bound
    /// and, last, at <c>+Inf</c>.
    /// </summary>
    public static void HistogramSeries(StringBuilder output, string name, string labels, ReadOnlySpan<double> bounds, ReadOnlySpan<long> cumulative,
        double sum, long count, PrometheusNumbers numbers = PrometheusNumbers.Go)
    {
        var prefix = labels.Length == 0 ? "" : labels + ",";
        for (var i = 0; i < bounds.Length; i++)
        {
            Sample(output, name + "_bucket", prefix + "le=\"" + Format(bounds[i], numbers) + "\"", cumulative[i], numbers);
        }

        Sample(output, name + "_bucket", prefix + "le=\"+Inf\"", cumulative[bounds.Length], numbers);
        Sample(output, name + "_sum", labels, sum, numbers);
        Sample(output, name + "_count", labels, count, numbers);
    }

    /// <summary>A value as <paramref name="numbers"/> prints it; infinities and NaN as the format spells them.</summary>
    public static string Format(double value, PrometheusNumbers numbers = PrometheusNumbers.Go)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (numbers == PrometheusNumbers.Python)
        {
            return value == Math.Floor(value) && Math.Abs(value) < 1e15
                ? value.ToString("0", CultureInfo.InvariantCulture) + ".0"
                : value.ToString("R", CultureInfo.InvariantCulture);
        }

        return double.IsNegativeInfinity(value) ? "-Inf"
            : double.IsNaN(value) ? "NaN"
            : value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Renders <c>k="v"</c> pairs with the format's escaping.</summary>
    public static string Labels(params (string Key, string Value)[] pairs)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(key).Append("=\"").Append(Escape(value)).Append('"');
        }

        return builder.ToString();
    }

    /// <summary>A label value with <c>\</c>, <c>"</c> and newlines escaped.</summary>
    public static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
