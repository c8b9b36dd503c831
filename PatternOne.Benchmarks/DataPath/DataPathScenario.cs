using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Benchmarks.DataPath;

public sealed class DataPathScenario : IScenario
{
    public string Name => "datapath";

    public Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var report = new ScenarioReport(Name, "datapath") { Skipped = true };
        report.Notes.Add("not implemented yet");
        return Task.FromResult(report);
    }
}
