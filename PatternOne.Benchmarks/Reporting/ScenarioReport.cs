using System.Text.Json.Nodes;

namespace PatternOne.Benchmarks.Reporting;

/// <summary>What one scenario measured: rows (CSV and summary.json), target checks, notes and plots.</summary>
public sealed class ScenarioReport(string scenario, string title)
{
    public string Scenario { get; } = scenario;

    public string Title { get; } = title;

    /// <summary>One object per measured point; keys are the summary.json field names.</summary>
    public List<JsonObject> Rows { get; } = [];

    public List<TargetCheck> Targets { get; } = [];

    /// <summary>Free text: setup, caveats, why a target was missed.</summary>
    public List<string> Notes { get; } = [];

    public List<LineChart> Charts { get; } = [];

    /// <summary>Markdown tables (title, columns to show from <see cref="Rows"/>, row filter).</summary>
    public List<TableView> Tables { get; } = [];

    /// <summary>Scenario-wide parameters (workload shape, sizes) written to summary.json and the markdown.</summary>
    public JsonObject Parameters { get; } = [];

    /// <summary>True when the scenario could not run at all (the reason is in <see cref="Notes"/>).</summary>
    public bool Skipped { get; set; }
}

/// <summary>One target from the issue, checked against what was measured.</summary>
public sealed record TargetCheck(string Name, string Target, string Measured, bool? Met, string? Note = null);

/// <summary>A markdown table over some of a report's rows.</summary>
public sealed record TableView(string Title, IReadOnlyList<string> Columns, Func<JsonObject, bool> Filter);
