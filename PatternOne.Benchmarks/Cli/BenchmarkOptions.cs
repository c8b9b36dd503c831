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

    /// <summary>Scheduling scenario: replica counts to run instead of the plan's (e.g. <c>--replicas 4</c>).</summary>
    public int[]? Replicas { get; init; }

    /// <summary>Scheduling scenario: QPS per replica to run instead of the plan's ramp (e.g. <c>--qps 1,4,8</c>).</summary>
    public double[]? QpsPerReplica { get; init; }

    /// <summary>Scheduling scenario: only these sweeps (workload names), e.g. <c>--sweeps prefix-affinity</c>.</summary>
    public string[]? Sweeps { get; init; }

    /// <summary>Scheduling scenario: measured requests per load point instead of the plan's (warm-up unchanged).</summary>
    public int? Requests { get; init; }

    /// <summary>Loopback ports for the services the HTTP scenarios start (e.g. <c>--ports 24000-24999</c>). Default: any free.</summary>
    public (int From, int To)? Ports { get; init; }

    public const string Usage = """
        usage: PatternOne.Benchmarks <scheduling|e2e|datapath|hotpaths|all> [--quick] [--out <dir>] [--seed <n>] [--configuration Release|Debug] [--ports <from>-<to>]

          scheduling  scheduling quality, simulated (virtual time): simulator engines x real scheduler plugins, shared-prefix workloads
          e2e         the same over HTTP: gateway + scheduler + simulator processes, time-scaled
          datapath    added latency of gateway + scheduler vs a direct call and nginx (HTTP/HTTPS, small and 220 KB prompts)
          hotpaths    BenchmarkDotNet: pick, prefix index, Prometheus parsing, ext_proc round trip
          all         every scenario above

          --quick     small sizes (seconds to a minute per scenario)
          --out       output directory (default benchmarks/results); summary.json there is merged, not replaced
          --ports     loopback port range for the services the HTTP scenarios start (e.g. 24000-24999; default: any free)
          --replicas 4 / --qps 1,2,4 (per replica) / --requests 3000 / --sweeps prefix-affinity   override the scheduling plan
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
        int[]? replicas = null;
        double[]? qps = null;
        int? requests = null;
        string[]? sweeps = null;
        (int, int)? ports = null;
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
                case "--replicas":
                    replicas = ParseList(Value(), int.Parse);
                    if (replicas is null || replicas.Any(r => r < 1))
                    {
                        error = "--replicas needs positive integers, e.g. 4,8";
                        return null;
                    }

                    break;
                case "--qps":
                    qps = ParseList(Value(), double.Parse);
                    if (qps is null || qps.Any(q => !(q > 0)))
                    {
                        error = "--qps needs positive numbers (per replica), e.g. 1,2,4";
                        return null;
                    }

                    break;
                case "--sweeps":
                    sweeps = Value()?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (sweeps is not { Length: > 0 })
                    {
                        error = "--sweeps needs workload names, e.g. prefix-affinity,low-cache";
                        return null;
                    }

                    break;
                case "--requests":
                    if (!int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                    {
                        error = "--requests needs a positive number of measured requests";
                        return null;
                    }

                    requests = n;
                    break;
                case "--ports":
                    var range = Value()?.Split('-', 2);
                    if (range is not [var lo, var hi]
                        || !int.TryParse(lo, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                        || !int.TryParse(hi, NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                        || from < 1024 || to > 65535 || to - from < 31)
                    {
                        error = "--ports needs a range <from>-<to> of at least 32 ports within 1024-65535";
                        return null;
                    }

                    ports = (from, to);
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
            Replicas = replicas,
            QpsPerReplica = qps,
            Requests = requests,
            Sweeps = sweeps,
            Ports = ports,
        };
    }

    private static T[]? ParseList<T>(string? text, Func<string, IFormatProvider, T> parse)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => parse(t, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
