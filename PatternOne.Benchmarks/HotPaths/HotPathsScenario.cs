using System.Globalization;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Benchmarks.HotPaths;

/// <summary>
/// Hot paths with BenchmarkDotNet, in process (no generated project to build: the machine is shared, and the
/// in-process emit toolchain measures the same code). <c>--quick</c> uses the Dry job (one cold iteration).
/// </summary>
public sealed class HotPathsScenario : IScenario
{
    public string Name => "hotpaths";

    /// <summary>Benchmark classes, found by convention: every public class in this folder's namespace with a [Benchmark] method.</summary>
    public static IReadOnlyList<Type> BenchmarkTypes { get; } = typeof(HotPathsScenario).Assembly.GetTypes()
        .Where(t => t.IsPublic && !t.IsAbstract && t.Namespace == typeof(HotPathsScenario).Namespace
            && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    public Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var report = new ScenarioReport(Name, "Hot paths (BenchmarkDotNet)");
        var job = (context.Quick ? Job.Dry : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub)
            .WithArtifactsPath(Path.Combine(context.Options.OutputDirectory, "hotpaths-bdn"))
            .WithOptions(ConfigOptions.JoinSummary);
        if (context.Quick)
        {
            // CI may run the smoke test in Debug; numbers from --quick are not measurements anyway. The 256-endpoint
            // cases spend most of their time warming their index, so the smoke run leaves them out.
            config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator)
                .AddFilter(new SimpleFilter(c => !c.Parameters.Items.Any(p => p.Name == nameof(WarmIndexBenchmark.Endpoints) && Equals(p.Value, 256))));
        }

        report.Parameters["job"] = context.Quick ? "Dry (1 cold iteration)" : "ShortRun (3 warm-ups, 3 iterations)";
        report.Parameters["toolchain"] = "InProcessEmit";
        report.Parameters["classes"] = string.Join(", ", BenchmarkTypes.Select(t => t.Name));

        var summaries = BenchmarkRunner.Run(BenchmarkTypes.ToArray(), config);
        foreach (var summary in summaries)
        {
            foreach (var r in summary.Reports)
            {
                report.Rows.Add(Row(r));
            }

            foreach (var error in summary.ValidationErrors)
            {
                report.Notes.Add("BenchmarkDotNet validation: " + error.Message);
            }
        }

        report.Tables.Add(new TableView("Results", ["class", "method", "params", "mean_us", "median_us", "allocated_bytes"], _ => true));
        HotPathTargets.Evaluate(report, context.Quick);
        return Task.FromResult(report);
    }

    private static JsonObject Row(BenchmarkReport r)
    {
        var c = r.BenchmarkCase;
        var stats = r.ResultStatistics;
        return new JsonObject
        {
            ["class"] = c.Descriptor.Type.Name,
            ["method"] = c.Descriptor.WorkloadMethod.Name,
            ["params"] = string.Join(" ", c.Parameters.Items.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name}={p.Value}"))),
            ["mean_us"] = stats is null ? null : Stats.Round(stats.Mean / 1000, 3),
            ["median_us"] = stats is null ? null : Stats.Round(stats.Median / 1000, 3),
            ["stddev_us"] = stats is null ? null : Stats.Round(stats.StandardDeviation / 1000, 3),
            ["allocated_bytes"] = r.GcStats.GetBytesAllocatedPerOperation(c),
            ["ok"] = r.Success,
        };
    }
}

/// <summary>Issue 7's hot-path target: one pick for 64 endpoints with a 16 KB prompt under 50 µs.</summary>
internal static class HotPathTargets
{
    public static void Evaluate(ScenarioReport report, bool quick)
    {
        // The default profile's Pick (the prefix plugin included), as issue 7 states the target.
        var pick = report.Rows.FirstOrDefault(r => (string?)r["class"] == "PickBenchmarks" && (string?)r["method"] == "Pick"
            && ((string?)r["params"] ?? "").Split(' ').Contains("Endpoints=64")
            && ((string?)r["params"] ?? "").Split(' ').Contains("Profile=default")
            && (double?)r["mean_us"] is not null);
        if (pick is null)
        {
            report.Targets.Add(new TargetCheck("one pick, 64 endpoints, 16 KB prompt", "< 50 µs (GAIE #768: ~0.2 ms + 0.3 ms prefix)", "no pick benchmark with 64 endpoints ran", null));
            return;
        }

        var mean = (double)pick["mean_us"]!;
        report.Targets.Add(new TargetCheck("one pick, 64 endpoints, 16 KB prompt", "< 50 µs (GAIE #768: ~0.2 ms + 0.3 ms prefix)",
            string.Create(CultureInfo.InvariantCulture, $"{mean:0.#} µs ({pick["class"]}.{pick["method"]} {pick["params"]}, {pick["allocated_bytes"]} B allocated)"),
            quick ? null : mean < 50,
            quick ? "--quick: one cold iteration, not a measurement" : mean < 50 ? null : string.Create(CultureInfo.InvariantCulture, $"over by {mean - 50:0.#} µs")));
    }
}
