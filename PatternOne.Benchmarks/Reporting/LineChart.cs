using System.Globalization;
using System.Net;
using System.Text;

namespace PatternOne.Benchmarks.Reporting;

/// <summary>A line chart written as a standalone SVG file (no plotting library: a few axes, polylines and a legend).</summary>
public sealed class LineChart(string fileName, string title, string xLabel, string yLabel)
{
    private static readonly string[] Palette =
        ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

    private const double Width = 760;
    private const double Height = 440;
    private const double Left = 78;
    private const double Right = 190;
    private const double Top = 44;
    private const double Bottom = 58;

    public string FileName { get; } = fileName;

    public string Title { get; } = title;

    public string XLabel { get; } = xLabel;

    public string YLabel { get; } = yLabel;

    /// <summary>Logarithmic y axis (latencies spanning decades). Non-positive points are dropped.</summary>
    public bool LogY { get; init; }

    /// <summary>Optional horizontal reference line (a target), drawn dashed.</summary>
    public (double Y, string Label)? Reference { get; init; }

    /// <summary>A dot at every point (false for long time series, where the dots would only bloat the file).</summary>
    public bool Markers { get; init; } = true;

    public List<(string Name, List<(double X, double Y)> Points)> Series { get; } = [];

    public LineChart Add(string name, IEnumerable<(double X, double Y)> points)
    {
        var list = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogY || p.Y > 0)).OrderBy(p => p.X).ToList();
        Series.Add((name, list));
        return this;
    }

    public string ToSvg()
    {
        var all = Series.SelectMany(s => s.Points).ToList();
        var xs = all.Select(p => p.X).DefaultIfEmpty(0).ToArray();
        var ys = all.Select(p => p.Y).ToList();
        if (Reference is { } r && (!LogY || r.Y > 0))
        {
            ys.Add(r.Y);
        }

        double xMin = xs.Min(), xMax = xs.Max();
        if (xMax <= xMin)
        {
            xMax = xMin + 1;
        }

        double yMin, yMax;
        if (LogY)
        {
            var positive = ys.Where(y => y > 0).DefaultIfEmpty(1).ToArray();
            yMin = Math.Pow(10, Math.Floor(Math.Log10(positive.Min())));
            yMax = Math.Pow(10, Math.Ceiling(Math.Log10(positive.Max())));
            if (yMax <= yMin)
            {
                yMax = yMin * 10;
            }
        }
        else
        {
            yMin = 0;
            yMax = ys.DefaultIfEmpty(1).Max();
            yMax = yMax <= 0 ? 1 : NiceCeiling(yMax * 1.05);
        }

        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double X(double x) => Left + ((x - xMin) / (xMax - xMin) * plotW);
        double Y(double y) => LogY
            ? Top + plotH - ((Math.Log10(y) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin)) * plotH)
            : Top + plotH - ((y - yMin) / (yMax - yMin) * plotH);

        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(c, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        sb.Append(c, $"<text x=\"{Width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Esc(Title)}</text>\n");

        // Grid and y ticks.
        foreach (var yt in LogY ? LogTicks(yMin, yMax) : LinearTicks(yMin, yMax))
        {
            var py = Y(yt);
            sb.Append(c, $"<line x1=\"{Left}\" y1=\"{py:F1}\" x2=\"{Left + plotW}\" y2=\"{py:F1}\" stroke=\"#e5e5e5\"/>\n");
            sb.Append(c, $"<text x=\"{Left - 6}\" y=\"{py + 4:F1}\" text-anchor=\"end\">{Fmt(yt)}</text>\n");
        }

        foreach (var xt in LinearTicks(xMin, xMax))
        {
            var px = X(xt);
            sb.Append(c, $"<line x1=\"{px:F1}\" y1=\"{Top}\" x2=\"{px:F1}\" y2=\"{Top + plotH}\" stroke=\"#f0f0f0\"/>\n");
            sb.Append(c, $"<text x=\"{px:F1}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{Fmt(xt)}</text>\n");
        }

        sb.Append(c, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#333\"/>\n");
        sb.Append(c, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 16}\" text-anchor=\"middle\">{Esc(XLabel)}</text>\n");
        sb.Append(c, $"<text x=\"18\" y=\"{Top + (plotH / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {Top + (plotH / 2)})\">{Esc(YLabel)}</text>\n");

        if (Reference is { } reference && (!LogY || reference.Y > 0) && reference.Y <= yMax)
        {
            var py = Y(reference.Y);
            sb.Append(c, $"<line x1=\"{Left}\" y1=\"{py:F1}\" x2=\"{Left + plotW}\" y2=\"{py:F1}\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>\n");
            sb.Append(c, $"<text x=\"{Left + plotW - 4}\" y=\"{py - 4:F1}\" text-anchor=\"end\" fill=\"#555\">{Esc(reference.Label)}</text>\n");
        }

        for (var i = 0; i < Series.Count; i++)
        {
            var (name, points) = Series[i];
            var color = Palette[i % Palette.Length];
            if (points.Count > 0)
            {
                var path = string.Join(' ', points.Select(p => string.Create(c, $"{X(p.X):F1},{Y(p.Y):F1}")));
                sb.Append(c, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{path}\"/>\n");
                foreach (var p in Markers ? points : [])
                {
                    sb.Append(c, $"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"3\" fill=\"{color}\"><title>{Esc(name)}: {Fmt(p.X)}, {Fmt(p.Y)}</title></circle>\n");
                }
            }

            var ly = Top + 10 + (i * 20);
            sb.Append(c, $"<line x1=\"{Left + plotW + 14}\" y1=\"{ly}\" x2=\"{Left + plotW + 38}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\"/>\n");
            sb.Append(c, $"<text x=\"{Left + plotW + 44}\" y=\"{ly + 4}\">{Esc(name)}</text>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);

    private static string Fmt(double v) => Math.Abs(v) >= 1000 || v == Math.Floor(v)
        ? v.ToString("0.##", CultureInfo.InvariantCulture)
        : v.ToString("0.###", CultureInfo.InvariantCulture);

    private static double NiceCeiling(double v)
    {
        var exp = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1.0, 2, 2.5, 5, 10 })
        {
            if (m * exp >= v)
            {
                return m * exp;
            }
        }

        return 10 * exp;
    }

    private static IEnumerable<double> LinearTicks(double min, double max)
    {
        var step = NiceCeiling((max - min) / 6);
        for (var t = Math.Ceiling(min / step) * step; t <= max + (step * 1e-9); t += step)
        {
            yield return Math.Round(t, 9);
        }
    }

    private static IEnumerable<double> LogTicks(double min, double max)
    {
        for (var t = min; t <= max * 1.0001; t *= 10)
        {
            yield return t;
        }
    }
}
