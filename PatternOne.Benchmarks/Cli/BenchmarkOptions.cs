using System.Collections.Frozen;
using System.Globalization;

namespace PatternOne.Benchmarks.Cli;

/// <summary>Command line of the benchmark tool.</summary>
public sealed record BenchmarkOptions
{
    public const string ScenarioAll = "all";

    /// <summary>Scenario names in the order <c>all</c> runs them.</summary>
    public static readonly IReadOnlyList<string> ScenarioNames = ["scheduling", "e2e", "datapath", "hotpaths", "reliability"];

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

    /// <summary>
    /// Scheduling scenario: only these sweeps (workload names), e.g. <c>--sweeps prefix-affinity</c>; datapath: only
    /// these replica kinds (<c>realistic</c>, <c>fast</c>).
    /// </summary>
    public string[]? Sweeps { get; init; }

    /// <summary>Scheduling scenario: measured requests per load point instead of the plan's (warm-up unchanged).</summary>
    public int? Requests { get; init; }

    /// <summary>Datapath scenario: realistic-replica rates (req/s) instead of the plan's (e.g. <c>--rates 200</c>).</summary>
    public double[]? Rates { get; init; }

    /// <summary>Datapath scenario: interleaved rounds of the realistic replica instead of the plan's.</summary>
    public int? Rounds { get; init; }

    /// <summary>Datapath scenario: seconds per realistic-replica run instead of the plan's.</summary>
    public double? RunSeconds { get; init; }

    /// <summary>Loopback ports for the services the HTTP scenarios start (e.g. <c>--ports 24000-24999</c>). Default: any free.</summary>
    public (int From, int To)? Ports { get; init; }

    /// <summary>
    /// Reliability scenario: only these parts, on one FailOpen stack: <c>soak</c> (warm-up and soak, no faults),
    /// <c>prompts,soak</c> (the four 15 MiB prompts first, as the full run has them before its soak) or <c>sigstop</c>
    /// (warm-up and the replica SIGSTOP). Default: everything.
    /// </summary>
    public string? Only { get; init; }

    /// <summary>Reliability scenario: minutes of the soak's measured window instead of the plan's (30 in a full run).</summary>
    public double? SoakMinutes { get; init; }

    /// <summary>Reliability scenario: minutes of load before the soak's measured window, excluded from its slope (5 in a full run).</summary>
    public double? SoakWarmupMinutes { get; init; }

    /// <summary>Parts <c>--only</c> names.</summary>
    public const string OnlySoak = "soak";

    public const string OnlyPrompts = "prompts";

    /// <summary>The 15 MiB prompts, then the soak.</summary>
    public const string OnlyPromptsAndSoak = OnlyPrompts + "," + OnlySoak;

    /// <inheritdoc cref="OnlySoak"/>
    public const string OnlySigstop = "sigstop";

    public const string Usage = """
        usage: PatternOne.Benchmarks <scheduling|e2e|datapath|hotpaths|reliability|all> [--quick] [--out <dir>] [--seed <n>] [--configuration Release|Debug] [--ports <from>-<to>]
                                     [--only soak|prompts,soak|sigstop] [--soak-minutes <n>] [--soak-warmup-minutes <n>]

          scheduling  scheduling quality, simulated (virtual time): simulator engines x real scheduler plugins, shared-prefix workloads
          e2e         the same over HTTP: gateway + scheduler + simulator processes, time-scaled
          datapath    added latency of gateway + scheduler vs a direct call and nginx (HTTP/HTTPS, small and 220 KB prompts)
          hotpaths    BenchmarkDotNet: pick, prefix index, Prometheus parsing, ext_proc round trip
          reliability faults under steady load on the AppHost's stack (SIGKILL, SIGSTOP, 15 MiB prompts, 30-minute soak): failures, recovery, RSS
          all         every scenario above

          --quick     small sizes (seconds to a minute per scenario)
          --out       output directory (default benchmarks/results); summary.json there is merged, not replaced
          --ports     loopback port range for the services the HTTP scenarios start (e.g. 24000-24999; default: any free)
          --only soak             reliability: only the soak (one FailOpen stack, no faults)
          --only prompts,soak     reliability: the four 15 MiB prompts, then the soak (one FailOpen stack)
          --only sigstop          reliability: only the replica SIGSTOP (one FailOpen stack, warm-up, then the freeze)
          --soak-minutes 120      reliability: the soak's measured window (default 30)
          --soak-warmup-minutes 5 reliability: load before the measured window, left out of the slope (default 5)
          --replicas 4 / --qps 1,2,4 (per replica) / --requests 3000 / --sweeps prefix-affinity   override the scheduling plan
          --sweeps realistic|fast / --rates 200 / --rounds 4 / --run-seconds 6   override the datapath plan (realistic replica)
        """;

    /// <summary>
    /// Each option: whether it takes a value (<c>--out dir</c> or <c>--out=dir</c>) and what it does to the options being
    /// built; it returns an error message, or null. Anything else is a scenario name or an unknown option.
    /// </summary>
    private static readonly FrozenDictionary<string, (bool TakesValue, Func<Draft, string?, string?> Apply)> Flags =
        new Dictionary<string, (bool TakesValue, Func<Draft, string?, string?> Apply)>
        {
            ["--quick"] = (false, (d, _) => { d.Quick = true; return null; }),
            ["--out"] = (true, (d, v) => (d.Output = v ?? "").Length == 0 ? "--out needs a directory" : null),
            ["--seed"] = (true, (d, v) => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out d.Seed) ? null : "--seed needs an integer"),
            ["--configuration"] = (true, (d, v) => { d.Configuration = v; return null; }),
            ["--replicas"] = (true, (d, v) => (d.Replicas = ParseList(v, int.Parse)) is null || d.Replicas.Any(r => r < 1)
                ? "--replicas needs positive integers, e.g. 4,8" : null),
            ["--qps"] = (true, (d, v) => (d.Qps = ParseList(v, double.Parse)) is null || d.Qps.Any(q => !(q > 0))
                ? "--qps needs positive numbers (per replica), e.g. 1,2,4" : null),
            ["--sweeps"] = (true, (d, v) => (d.Sweeps = v?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) is not { Length: > 0 }
                ? "--sweeps needs workload names, e.g. prefix-affinity,low-cache" : null),
            ["--requests"] = (true, (d, v) =>
            {
                if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                {
                    return "--requests needs a positive number of measured requests";
                }

                d.Requests = n;
                return null;
            }),
            ["--rates"] = (true, (d, v) => (d.Rates = ParseList(v, double.Parse)) is null || d.Rates.Any(q => !(q > 0))
                ? "--rates needs positive numbers (req/s), e.g. 100,200" : null),
            ["--rounds"] = (true, (d, v) => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1
                ? Set(() => d.Rounds = n) : "--rounds needs a positive integer"),
            ["--run-seconds"] = (true, (d, v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
                ? Set(() => d.RunSeconds = s) : "--run-seconds needs a positive number"),
            ["--ports"] = (true, (d, v) =>
            {
                if (v?.Split('-', 2) is not [var lo, var hi]
                    || !int.TryParse(lo, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                    || !int.TryParse(hi, NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                    || from < 1024 || to > 65535 || to - from < 31)
                {
                    return "--ports needs a range <from>-<to> of at least 32 ports within 1024-65535";
                }

                d.Ports = (from, to);
                return null;
            }),
            ["--only"] = (true, (d, v) => (d.Only = v?.ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal)) is OnlySoak or OnlyPromptsAndSoak or OnlySigstop
                ? null : $"--only takes '{OnlySoak}', '{OnlyPromptsAndSoak}' or '{OnlySigstop}'"),
            ["--soak-minutes"] = (true, (d, v) => (d.SoakMinutes = PositiveMinutes(v, allowZero: false)) is null ? "--soak-minutes needs a positive number of minutes" : null),
            ["--soak-warmup-minutes"] = (true, (d, v) => (d.SoakWarmupMinutes = PositiveMinutes(v, allowZero: true)) is null ? "--soak-warmup-minutes needs a number of minutes ≥ 0" : null),
            ["--help"] = (false, (_, _) => ""),
        }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> ShortNames =
        new Dictionary<string, string> { ["-o"] = "--out", ["-c"] = "--configuration", ["-h"] = "--help" }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>; returns null with <paramref name="error"/> set when they are invalid (empty for <c>--help</c>).</summary>
    public static BenchmarkOptions? Parse(IReadOnlyList<string> args, string defaultOutput, out string? error)
    {
        var draft = new Draft { Output = defaultOutput };
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.Split('=', 2)[0];
            if (Flags.TryGetValue(ShortNames.GetValueOrDefault(name, name), out var flag))
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                var value = !flag.TakesValue ? null : eq > 0 ? arg[(eq + 1)..] : i + 1 < args.Count ? args[++i] : null;
                error = flag.Apply(draft, value);
            }
            else
            {
                error = draft.AddScenario(arg);
            }

            if (error is not null)
            {
                return null;
            }
        }

        error = draft.Scenarios.Count == 0 ? "name a scenario" : null;
        return error is null ? draft.Build() : null;
    }

    /// <summary>The options while the command line is read.</summary>
    private sealed class Draft
    {
        public List<string> Scenarios { get; } = [];
        public bool Quick { get; set; }
        public required string Output { get; set; }
        public int Seed = 42;
        public string? Configuration { get; set; }
        public int[]? Replicas { get; set; }
        public double[]? Qps { get; set; }
        public int? Requests { get; set; }
        public string[]? Sweeps { get; set; }
        public (int, int)? Ports { get; set; }
        public string? Only { get; set; }
        public double? SoakMinutes { get; set; }
        public double? SoakWarmupMinutes { get; set; }
        public double[]? Rates { get; set; }
        public int? Rounds { get; set; }
        public double? RunSeconds { get; set; }

        /// <summary>A scenario name (<c>all</c> for every one); an error for an unknown name or option.</summary>
        public string? AddScenario(string arg)
        {
            if (arg.StartsWith('-'))
            {
                return $"unknown option '{arg}'";
            }

            var scenario = arg.ToLowerInvariant();
            if (scenario == ScenarioAll)
            {
                Scenarios.AddRange(ScenarioNames);
            }
            else if (ScenarioNames.Contains(scenario))
            {
                Scenarios.Add(scenario);
            }
            else
            {
                return $"unknown scenario '{arg}'";
            }

            return null;
        }

        public BenchmarkOptions Build() => new()
        {
            Scenarios = Scenarios.Distinct().ToArray(),
            Quick = Quick,
            OutputDirectory = Path.GetFullPath(Output),
            Seed = Seed,
            Configuration = Configuration,
            Replicas = Replicas,
            QpsPerReplica = Qps,
            Requests = Requests,
            Sweeps = Sweeps,
            Ports = Ports,
            Only = Only,
            SoakMinutes = SoakMinutes,
            SoakWarmupMinutes = SoakWarmupMinutes,
            Rates = Rates,
            Rounds = Rounds,
            RunSeconds = RunSeconds,
        };
    }

    private static double? PositiveMinutes(string? text, bool allowZero) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) && double.IsFinite(minutes) && (minutes > 0 || (allowZero && minutes == 0))
            ? minutes
            : null;

    /// <summary>Applies a parsed value; no error.</summary>
    private static string? Set(Action apply)
    {
        apply();
        return null;
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
