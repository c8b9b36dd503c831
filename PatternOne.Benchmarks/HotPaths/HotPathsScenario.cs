using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Benchmarks.HotPaths;

public sealed class HotPathsScenario : IScenario
{
    public string Name => "hotpaths";

    public Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var report = new ScenarioReport(Name, "hotpaths") { Skipped = true };
        report.Notes.Add("not implemented yet");
        return Task.FromResult(report);
    }
}
