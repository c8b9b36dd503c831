using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Benchmarks.EndToEnd;

public sealed class EndToEndScenario : IScenario
{
    public string Name => "e2e";

    public Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var report = new ScenarioReport(Name, "e2e") { Skipped = true };
        report.Notes.Add("not implemented yet");
        return Task.FromResult(report);
    }
}
