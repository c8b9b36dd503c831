using PatternOne.Benchmarks.Reporting;
using Spectre.Console;

namespace PatternOne.Benchmarks.Cli;

/// <summary>Prints a scenario's tables and target checks to the console with Spectre tables.</summary>
public static class ConsoleSummary
{
    public static void Print(ScenarioReport report)
    {
        foreach (var view in report.Tables)
        {
            var rows = report.Rows.Where(view.Filter).ToList();
            if (rows.Count == 0)
            {
                continue;
            }

            var table = new Table { Title = new TableTitle(Markup.Escape(view.Title)) }.Border(TableBorder.Rounded);
            foreach (var c in view.Columns)
            {
                table.AddColumn(new TableColumn(Markup.Escape(c)).RightAligned());
            }

            foreach (var row in rows)
            {
                table.AddRow(view.Columns.Select(c => Markup.Escape(CellText(row[c]))).ToArray());
            }

            AnsiConsole.Write(table);
        }

        if (report.Targets.Count > 0)
        {
            var targets = new Table { Title = new TableTitle("targets") }.Border(TableBorder.Rounded);
            targets.AddColumn("target").AddColumn("anchor").AddColumn("measured").AddColumn("met");
            foreach (var t in report.Targets)
            {
                var met = t.Met switch { true => "[green]yes[/]", false => "[red]no[/]", null => "[grey]n/a[/]" };
                targets.AddRow(Markup.Escape(t.Name), Markup.Escape(t.Target), Markup.Escape(t.Measured + (t.Note is null ? "" : " — " + t.Note)), met);
            }

            AnsiConsole.Write(targets);
        }

        foreach (var note in report.Notes)
        {
            AnsiConsole.MarkupLine($"[grey]• {Markup.Escape(note)}[/]");
        }
    }

    private static string CellText(System.Text.Json.Nodes.JsonNode? node) => node switch
    {
        null => "",
        System.Text.Json.Nodes.JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        _ => node.ToString(),
    };
}
