using System.Globalization;

namespace PatternOne.Benchmarks.Cli;

/// <summary>Command line of the benchmark tool.</summary>
public sealed record BenchmarkOptions
{
    public const string ScenarioAll = "all";

    /// <summary>Scenario names in the order <c>all</c> runs them.</summary>
    public static readonly IReadOnlyList<string> ScenarioNames = ["scheduling", "e2e", "datapath", "hotpaths"];

    /// <summary>Scenarios to run (expanded from <c>all</c>).</summary>
    public required IReadOnlyList<string> Scenarios { get; init; }

    /// <summary>Small sizes so every scenario finishes in seconds to a minute (CI). Default false.</summary>
    public bool Quick { get; init; }

    /// <summary>Output directory. Default <c>benchmarks/results</c> under the repository root.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of every random choice (arrivals, prompts, random policy). Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Directory of the built service dlls' configuration (Release or Debug). Default: this tool's own.</summary>
    public string? Configuration { get; init; }

    public const string Usage = """
        usage: PatternOne.Benchmarks <scheduling|e2e|datapath|hotpaths|all> [--quick] [--out <dir>] [--seed <n>] [--configuration Release|Debug]

          scheduling  scheduling quality in virtual time: simulator engines x real scheduler plugins, shared-prefix workload
          e2e         the same over HTTP: gateway + scheduler + simulator processes, time-scaled
          datapath    added latency of gateway + scheduler vs a direct call and nginx (HTTP/HTTPS, small and 220 KB prompts)
          hotpaths    BenchmarkDotNet: pick, prefix index, Prometheus parsing, ext_proc round trip
          all         every scenario above

          --quick     small sizes (seconds to a minute per scenario)
          --out       output directory (default benchmarks/results); summary.json there is merged, not replaced
        """;

    /// <summary>Parses <paramref name="args"/>; returns null with <paramref name="error"/> set when they are invalid.</summary>
    public static BenchmarkOptions? Parse(IReadOnlyList<string> args, string defaultOutput, out string? error)
    {
        error = null;
        var scenarios = new List<string>();
        var quick = false;
        var output = defaultOutput;
        var seed = 42;
        string? configuration = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? Value()
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    return arg[(eq + 1)..];
                }

                return i + 1 < args.Count ? args[++i] : null;
            }

            var name = arg.Split('=', 2)[0];
            switch (name)
            {
                case "--quick":
                    quick = true;
                    break;
                case "--out" or "-o":
                    output = Value() ?? "";
                    if (output.Length == 0)
                    {
                        error = "--out needs a directory";
                        return null;
                    }

                    break;
                case "--seed":
                    if (!int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
                    {
                        error = "--seed needs an integer";
                        return null;
                    }

                    break;
                case "--configuration" or "-c":
                    configuration = Value();
                    break;
                case "-h" or "--help":
                    error = "";
                    return null;
                default:
                    if (arg.StartsWith('-'))
                    {
                        error = $"unknown option '{arg}'";
                        return null;
                    }

                    var scenario = arg.ToLowerInvariant();
                    if (scenario == ScenarioAll)
                    {
                        scenarios.AddRange(ScenarioNames);
                    }
                    else if (ScenarioNames.Contains(scenario))
                    {
                        scenarios.Add(scenario);
                    }
                    else
                    {
                        error = $"unknown scenario '{arg}'";
                        return null;
                    }

                    break;
            }
        }

        if (scenarios.Count == 0)
        {
            error = "name a scenario";
            return null;
        }

        return new BenchmarkOptions
        {
            Scenarios = scenarios.Distinct().ToArray(),
            Quick = quick,
            OutputDirectory = Path.GetFullPath(output),
            Seed = seed,
            Configuration = configuration,
        };
    }
}
