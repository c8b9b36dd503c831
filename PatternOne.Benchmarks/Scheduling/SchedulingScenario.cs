using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Benchmarks.Scheduling;

public sealed class SchedulingScenario : IScenario
{
    public string Name => "scheduling";

    public Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var report = new ScenarioReport(Name, "scheduling") { Skipped = true };
        report.Notes.Add("not implemented yet");
        return Task.FromResult(report);
    }
}
