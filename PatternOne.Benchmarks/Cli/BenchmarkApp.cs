using System.Diagnostics;
using PatternOne.Benchmarks.DataPath;
using PatternOne.Benchmarks.EndToEnd;
using PatternOne.Benchmarks.Hosting;
using PatternOne.Benchmarks.HotPaths;
using PatternOne.Benchmarks.Reliability;
using PatternOne.Benchmarks.Reporting;
using PatternOne.Benchmarks.Scheduling;
using Spectre.Console;

namespace PatternOne.Benchmarks.Cli;

/// <summary>Entry point: parse, run the scenarios in order, write each one's files as soon as it finishes.</summary>
public static class BenchmarkApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var probe = RepoLayout.Discover(null);
        var options = BenchmarkOptions.Parse(args, probe.DefaultOutput, out var error);
        if (options is null)
        {
            if (!string.IsNullOrEmpty(error))
            {
                AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(error)}");
            }

            Console.WriteLine(BenchmarkOptions.Usage);
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }

        if (Console.IsOutputRedirected)
        {
            // Logs and CI: wide tables rather than wrapped columns.
            AnsiConsole.Profile.Width = 200;
        }

        if (options.Ports is { } ports)
        {
            ServiceProcess.UsePortRange(ports.From, ports.To);
        }

        var context = new RunContext(options, RepoLayout.Discover(options.Configuration));
        var machine = MachineInfo.Describe();
        AnsiConsole.MarkupLine($"[bold]PatternOne benchmarks[/] {string.Join(", ", options.Scenarios)}{(options.Quick ? " [yellow](--quick)[/]" : "")} → {Markup.Escape(options.OutputDirectory)}");
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(MachineInfo.OneLine(machine))}[/]");

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        var failures = 0;
        foreach (var name in options.Scenarios)
        {
            var scenario = Create(name);
            AnsiConsole.Write(new Rule($"[bold]{name}[/]").LeftJustified());
            var sw = Stopwatch.StartNew();
            var loadBefore = MachineInfo.LoadAverage();
            ScenarioReport report;
            try
            {
                report = await scenario.RunAsync(context, cts.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cts.IsCancellationRequested)
            {
                // A failing scenario must not lose the others' results; it is recorded as skipped with its reason.
                failures++;
                AnsiConsole.MarkupLine($"[red]{name} failed:[/] {Markup.Escape(ex.ToString())}");
                report = new ScenarioReport(name, name) { Skipped = true };
                report.Notes.Add("Failed: " + ex.GetType().Name + ": " + ex.Message);
            }

            // Other work on the machine distorts every latency figure: record how busy it was around the run.
            report.Parameters["load_avg_1m_before"] = loadBefore;
            report.Parameters["load_avg_1m_after"] = MachineInfo.LoadAverage();
            ResultWriter.Write(options.OutputDirectory, report, machine, options.Quick, sw.Elapsed);
            ConsoleSummary.Print(report);
            AnsiConsole.MarkupLine($"[grey]{name}: {sw.Elapsed.TotalSeconds:F1} s, files in {Markup.Escape(options.OutputDirectory)}[/]");
        }

        return failures == 0 ? 0 : 1;
    }

    private static IScenario Create(string name) => name switch
    {
        "scheduling" => new SchedulingScenario(),
        "e2e" => new EndToEndScenario(),
        "datapath" => new DataPathScenario(),
        "hotpaths" => new HotPathsScenario(),
        "reliability" => new ReliabilityScenario(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown scenario"),
    };
}
