using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatternOne.Benchmarks.Reporting;

/// <summary>
/// Writes a scenario's files into the output directory: <c>&lt;scenario&gt;.md</c>, <c>&lt;scenario&gt;.csv</c>,
/// <c>&lt;chart&gt;.svg</c>, and merges the scenario into <c>summary.json</c> (other scenarios already there are kept,
/// so scenarios can be run one at a time); then regenerates <c>README.md</c> as an index over summary.json.
/// </summary>
public static class ResultWriter
{
    public const string SummaryFileName = "summary.json";
    public const string SummarySchema = "patternone-benchmarks/1";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string outputDirectory, ScenarioReport report, JsonObject machine, bool quick, TimeSpan elapsed)
    {
        Directory.CreateDirectory(outputDirectory);
        File.WriteAllText(Path.Combine(outputDirectory, report.Scenario + ".csv"), ToCsv(report.Rows));
        foreach (var chart in report.Charts)
        {
            File.WriteAllText(Path.Combine(outputDirectory, chart.FileName), chart.ToSvg());
        }

        File.WriteAllText(Path.Combine(outputDirectory, report.Scenario + ".md"), ToMarkdown(report, machine, quick, elapsed));
        var summary = MergeSummary(outputDirectory, report, machine, quick, elapsed);
        File.WriteAllText(Path.Combine(outputDirectory, "README.md"), ToIndex(summary));
    }

    public static string ToCsv(IReadOnlyList<JsonObject> rows)
    {
        var columns = new List<string>();
        foreach (var row in rows)
        {
            foreach (var (key, _) in row)
            {
                if (!columns.Contains(key))
                {
                    columns.Add(key);
                }
            }
        }

        var sb = new StringBuilder();
        sb.AppendJoin(',', columns).Append('\n');
        foreach (var row in rows)
        {
            sb.AppendJoin(',', columns.Select(c => CsvCell(row[c]))).Append('\n');
        }

        return sb.ToString();
    }

    private static string CsvCell(JsonNode? node)
    {
        var text = Cell(node);
        return text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal)
            ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : text;
    }

    private static string Cell(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<double>(out var d) => double.IsFinite(d) ? d.ToString("0.###", CultureInfo.InvariantCulture) : "",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "yes" : "no",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static string ToMarkdown(ScenarioReport report, JsonObject machine, bool quick, TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# {report.Title}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Machine: {MachineInfo.OneLine(machine)}. Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {elapsed.TotalSeconds:F0} s{(quick ? ", **--quick** (smoke sizes, not a measurement)" : "")}.\n\n");
        if (report.Parameters.Count > 0)
        {
            sb.Append("Parameters: ");
            sb.AppendJoin("; ", report.Parameters.Select(p => $"{p.Key} = {Cell(p.Value)}"));
            sb.Append("\n\n");
        }

        if (report.Targets.Count > 0)
        {
            sb.Append("## Targets\n\n| target | anchor | measured | met |\n|---|---|---|---|\n");
            foreach (var t in report.Targets)
            {
                var met = t.Met switch { true => "yes", false => "**no**", null => "n/a" };
                sb.Append(CultureInfo.InvariantCulture, $"| {t.Name} | {t.Target} | {t.Measured}{(t.Note is null ? "" : " — " + t.Note)} | {met} |\n");
            }

            sb.Append('\n');
        }

        foreach (var chart in report.Charts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"![{chart.Title}]({chart.FileName})\n\n");
        }

        foreach (var table in report.Tables)
        {
            var rows = report.Rows.Where(table.Filter).ToList();
            if (rows.Count == 0)
            {
                continue;
            }

            sb.Append(CultureInfo.InvariantCulture, $"## {table.Title}\n\n| ");
            sb.AppendJoin(" | ", table.Columns).Append(" |\n|");
            sb.AppendJoin("", table.Columns.Select(_ => "---|")).Append('\n');
            foreach (var row in rows)
            {
                sb.Append("| ").AppendJoin(" | ", table.Columns.Select(c => Cell(row[c]))).Append(" |\n");
            }

            sb.Append('\n');
        }

        if (report.Notes.Count > 0)
        {
            sb.Append("## Notes\n\n");
            foreach (var note in report.Notes)
            {
                sb.Append("- ").Append(note).Append('\n');
            }

            sb.Append('\n');
        }

        sb.Append(CultureInfo.InvariantCulture, $"All rows: [{report.Scenario}.csv]({report.Scenario}.csv); machine-readable: [summary.json](summary.json).\n");
        return sb.ToString();
    }

    private static JsonObject MergeSummary(string outputDirectory, ScenarioReport report, JsonObject machine, bool quick, TimeSpan elapsed)
    {
        var path = Path.Combine(outputDirectory, SummaryFileName);
        JsonObject summary;
        try
        {
            summary = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? [] : [];
        }
        catch (JsonException)
        {
            summary = [];
        }

        summary["schema"] = SummarySchema;
        summary["machine"] = machine.DeepClone();
        if (summary["scenarios"] is not JsonObject scenarios)
        {
            scenarios = [];
            summary["scenarios"] = scenarios;
        }

        scenarios[report.Scenario] = new JsonObject
        {
            ["title"] = report.Title,
            ["generated_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["quick"] = quick,
            ["skipped"] = report.Skipped,
            ["duration_s"] = Math.Round(elapsed.TotalSeconds, 1),
            ["parameters"] = FiniteCopy(report.Parameters),
            ["rows"] = new JsonArray(report.Rows.Select(FiniteCopy).ToArray()),
            ["targets"] = new JsonArray(report.Targets.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["target"] = t.Target,
                ["measured"] = t.Measured,
                ["met"] = t.Met,
                ["note"] = t.Note,
            }).ToArray()),
            ["notes"] = new JsonArray(report.Notes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
        };
        File.WriteAllText(path, summary.ToJsonString(Indented));
        return summary;
    }

    /// <summary>
    /// A copy in which non-finite numbers (a ratio over an empty sample, a peer that did not run) become null: JSON has
    /// no Infinity or NaN, and System.Text.Json refuses to write them.
    /// </summary>
    private static JsonNode? FiniteCopy(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, FiniteCopy(p.Value)))),
        JsonArray array => new JsonArray(array.Select(FiniteCopy).ToArray()),
        JsonValue value when value.TryGetValue<double>(out var d) && !double.IsFinite(d) => null,
        JsonValue value when value.TryGetValue<float>(out var f) && !float.IsFinite(f) => null,
        _ => node?.DeepClone(),
    };

    private static string ToIndex(JsonObject summary)
    {
        var sb = new StringBuilder("# PatternOne benchmark results\n\n");
        if (summary["machine"] is JsonObject m)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Machine: {MachineInfo.OneLine(m)}.\n\n");
        }

        sb.Append("Reproduce: `dotnet run -c Release --project PatternOne.Benchmarks -- all` (or one scenario: `scheduling`, `e2e`, `datapath`, `hotpaths`, `reliability`).\n\n");
        if (summary["scenarios"] is JsonObject scenarios)
        {
            foreach (var (name, node) in scenarios)
            {
                if (node is not JsonObject s)
                {
                    continue;
                }

                sb.Append(CultureInfo.InvariantCulture, $"## [{s["title"]}]({name}.md)\n\n");
                sb.Append(CultureInfo.InvariantCulture, $"Generated {s["generated_utc"]}{((bool?)s["quick"] == true ? " (--quick)" : "")}{((bool?)s["skipped"] == true ? " — **skipped**" : "")}.\n\n");
                if (s["targets"] is JsonArray targets && targets.Count > 0)
                {
                    sb.Append("| target | anchor | measured | met |\n|---|---|---|---|\n");
                    foreach (var t in targets.OfType<JsonObject>())
                    {
                        var met = (bool?)t["met"] switch { true => "yes", false => "**no**", null => "n/a" };
                        var note = (string?)t["note"];
                        sb.Append(CultureInfo.InvariantCulture, $"| {t["name"]} | {t["target"]} | {t["measured"]}{(note is null ? "" : " — " + note)} | {met} |\n");
                    }

                    sb.Append('\n');
                }
            }
        }

        return sb.ToString();
    }
}
