using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Hosting;
using PatternOne.Benchmarks.Reporting;
using Spectre.Console;

namespace PatternOne.Benchmarks.DataPath;

/// <summary>
/// Data path: what gateway + scheduler add over a direct call to a replica, with nginx as a plain reverse-proxy peer in
/// the same run (the baseline always in the same run, interleaved rounds, medians).
/// Two replica kinds:
/// <list type="bullet">
/// <item><b>realistic</b>: one simulator at time scale 1 (a 1-token chat takes ~18 ms, as vLLM would), max_tokens 1–16,
/// open loop at 100, 200 and 400 req/s. This is where a proxy's tail shows: the gateway is mostly idle between
/// requests, and every stall (thread-pool injection, GC, a slow picker stream) lands on a request.</item>
/// <item><b>fast</b>: two simulators at time scale 1000 (the replica answers at once, like the Kestrel downstream of
/// aspnet's proxy benchmarks), a ~250 B and a ~220 KB chat request, then closed-loop maximum throughput with the CPU
/// each proxy spent per request.</item>
/// </list>
/// </summary>
public sealed class DataPathScenario : IScenario
{
    public string Name => "datapath";

    internal const string Realistic = "realistic";
    internal const string Fast = "fast";

    /// <summary>The rate the issue's targets are judged at (req/s).</summary>
    private const double TargetRate = 200;

    private const int MaxConnections = 32;

    public async Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var report = new ScenarioReport(Name, "Data path: added latency and throughput of gateway + scheduler vs direct and nginx");
        var plan = Plan.For(context.Options);
        plan.Describe(report);
        if (plan.Kinds.Except([Realistic, Fast]).FirstOrDefault() is { } unknown)
        {
            report.Skipped = true;
            report.Notes.Add($"Skipped: --sweeps names replica kinds ({Realistic}, {Fast}); '{unknown}' is not one.");
            return report;
        }

        var work = Path.Combine(Path.GetTempPath(), "patternone-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-datapath");
        var (cert, key) = LocalCertificate.Write(Path.Combine(work, "tls"));
        var nginxProblem = await NginxPeer.EnsureInstalledAsync(context.Repo.Script("nginx.sh"), cancellationToken);
        if (nginxProblem is not null)
        {
            report.Notes.Add("nginx peer skipped: " + nginxProblem);
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(report.Notes[^1])}[/]");
        }

        var rows = new List<JsonObject>();
        try
        {
            // Realistic replica first: it is the issue's measurement, and the fast replica's throughput runs leave the
            // machine hot.
            if (plan.Kinds.Contains(Realistic))
            {
                await using var realistic = await PathSet.StartAsync(context, new LocalCluster.Spec
                {
                    Replicas = 1,
                    TimeScale = 1,
                    WorkDirectory = Path.Combine(work, Realistic),
                    CertPath = cert,
                    KeyPath = key,
                }, nginxProblem is null, cancellationToken);
                rows.AddRange(await MeasureRealisticAsync(report, plan, realistic, cancellationToken));
            }

            if (plan.Kinds.Contains(Fast))
            {
                await using var fast = await PathSet.StartAsync(context, new LocalCluster.Spec
                {
                    Replicas = 2,
                    TimeScale = 1000,
                    // Room for the ~220 KB prompt (~40k simulated tokens) in one sequence.
                    MaxModelLen = 65536,
                    ExtraSimulatorArgs = ["--num-gpu-blocks-override", "8193"],
                    WorkDirectory = Path.Combine(work, Fast),
                    CertPath = cert,
                    KeyPath = key,
                }, nginxProblem is null, cancellationToken);
                rows.AddRange(await MeasureFastAsync(report, plan, fast, cancellationToken));
            }
        }
        catch (ClusterUnavailableException ex)
        {
            report.Skipped = true;
            report.Notes.Add("Skipped: " + ex.Message);
            return report;
        }

        report.Rows.AddRange(rows);
        Summarize(report);
        return report;
    }

    /// <summary>Time scale 1, chat with 1-16 output tokens at each realistic rate: the issue's measurement.</summary>
    private static async Task<List<JsonObject>> MeasureRealisticAsync(ScenarioReport report, Plan plan, PathSet realistic, CancellationToken cancellationToken)
    {
        NoteNginx(report, realistic);
        var payloads = plan.RealisticRates.Select(rate => new Payload("chat 1-16 tokens", rate, Bodies(64, 0, maxTokens: i => 1 + (i % 16)))).ToArray();
        // The A/A runs at the rate the targets are judged at: direct and nginx HTTP a second time in every round, last,
        // so the pair is as far apart in time as any path is from direct. What they "add" is the estimators' noise.
        PathKey[] repeats = [PathKey.Direct with { Repeat = true }, .. realistic.Paths.Where(p => p == new PathKey(PathKey.Nginx, false)).Select(p => p with { Repeat = true })];
        var samples = await MeasureAsync(realistic, Realistic, payloads, plan.RealisticRounds, plan.RealisticRun, plan.Warmup,
            payload => payload.Rate == TargetRate ? repeats : [], cancellationToken);
        foreach (var payload in payloads)
        {
            report.Charts.Add(Cdf($"datapath-realistic-{payload.Rate:0}rps-cdf.svg",
                $"Realistic replica (time scale 1, max_tokens 1-16), {payload.Rate:0} req/s: latency by percentile",
                realistic, samples, payload, logY: false));
        }

        var rows = LatencyRows(Realistic, payloads, samples);
        rows.AddRange(RepeatRows(Realistic, payloads, samples, repeats));
        return rows;
    }

    /// <summary>Time scale 1000: the data path's own cost with small and 220 KB bodies, then throughput.</summary>
    private static async Task<List<JsonObject>> MeasureFastAsync(ScenarioReport report, Plan plan, PathSet fast, CancellationToken cancellationToken)
    {
        NoteNginx(report, fast);
        var payloads = new[]
        {
            new Payload("small", plan.FastSmallRate, Bodies(64, 0, maxTokens: _ => 1)),
            new Payload("220KB", plan.FastLargeRate, Bodies(16, 220 * 1024, maxTokens: _ => 1)),
        };
        report.Parameters["small_request_bytes"] = payloads[0].Bodies[0].Length;
        report.Parameters["large_request_bytes"] = payloads[1].Bodies[0].Length;
        var samples = await MeasureAsync(fast, Fast, payloads, plan.Rounds, plan.FastRun, plan.Warmup, _ => [], cancellationToken);
        var rows = LatencyRows(Fast, payloads, samples);
        var throughput = await ThroughputAsync(fast, payloads[0], plan.Rounds, plan.ThroughputRun, cancellationToken);
        AddThroughput(rows, throughput);
        foreach (var payload in payloads)
        {
            report.Charts.Add(Cdf($"datapath-fast-{payload.Name.ToLowerInvariant()}-cdf.svg",
                $"Fast replica (time scale 1000), {payload.Name} request at {payload.Rate:0} req/s: latency by percentile",
                fast, samples, payload, logY: true));
        }

        return rows;
    }

    private static void NoteNginx(ScenarioReport report, PathSet paths)
    {
        if (paths.NginxProblem is { } problem && !report.Notes.Contains("nginx peer skipped: " + problem))
        {
            report.Notes.Add("nginx peer skipped: " + problem);
        }
    }

    private sealed record Plan
    {
        public required string[] Kinds { get; init; }
        public required int Rounds { get; init; }
        public required int RealisticRounds { get; init; }
        public required double[] RealisticRates { get; init; }
        public required TimeSpan RealisticRun { get; init; }
        public required TimeSpan FastRun { get; init; }
        public required TimeSpan ThroughputRun { get; init; }
        public required double FastSmallRate { get; init; }
        public required double FastLargeRate { get; init; }
        public required TimeSpan Warmup { get; init; }

        /// <summary>The full or --quick plan, with the command line's datapath overrides (for shorter runs while developing).</summary>
        public static Plan For(BenchmarkOptions options)
        {
            var quick = options.Quick;
            return new()
            {
                Kinds = options.Sweeps ?? [Realistic, Fast],
                Rounds = quick ? 1 : 3,
                // An even number, so the reversed order of every other round balances drift (see MeasureAsync).
                RealisticRounds = options.Rounds ?? (quick ? 1 : 4),
                RealisticRates = options.Rates ?? (quick ? [TargetRate] : [100, TargetRate, 400]),
                RealisticRun = TimeSpan.FromSeconds(options.RunSeconds ?? (quick ? 2 : 6)),
                FastRun = TimeSpan.FromSeconds(quick ? 1 : 6),
                ThroughputRun = TimeSpan.FromSeconds(quick ? 1 : 5),
                FastSmallRate = quick ? 50 : 200,
                FastLargeRate = quick ? 10 : 40,
                Warmup = TimeSpan.FromSeconds(quick ? 0.5 : 3),
            };
        }

        public void Describe(ScenarioReport report)
        {
            report.Parameters["replica_kinds"] = string.Join("/", Kinds);
            report.Parameters["rounds"] = Rounds;
            report.Parameters["realistic_rounds"] = RealisticRounds;
            report.Parameters["realistic_rates_rps"] = string.Join("/", RealisticRates);
            report.Parameters["realistic_run_s"] = RealisticRun.TotalSeconds;
            report.Parameters["realistic_max_tokens"] = "1-16";
            report.Parameters["fast_run_s"] = FastRun.TotalSeconds;
            report.Parameters["fast_small_rate_rps"] = FastSmallRate;
            report.Parameters["fast_large_rate_rps"] = FastLargeRate;
            report.Parameters["throughput_run_s"] = ThroughputRun.TotalSeconds;
            report.Parameters["throughput_connections"] = MaxConnections;
        }
    }

    internal sealed record Payload(string Name, double Rate, byte[][] Bodies);

    private static Func<int, CancellationToken, Task<bool>> Sender(PathSet paths, PathKey path, Payload payload) => async (i, ct) =>
    {
        // Request i carries the same body on every path, so every path is asked for the same work.
        using var content = new ByteArrayContent(payload.Bodies[i % payload.Bodies.Length]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await paths.Client(path).PostAsync(paths.Uri(path, "v1/chat/completions"), content, ct);
        _ = await response.Content.ReadAsByteArrayAsync(ct);
        return response.IsSuccessStatusCode;
    };

    /// <summary>Open-loop runs: per round, per payload (rate), every path once, interleaved so drift hits all alike.</summary>
    private static async Task<Dictionary<(Payload Payload, PathKey Path), List<LoadResult>>> MeasureAsync(
        PathSet paths, string replica, Payload[] payloads, int rounds, TimeSpan run, TimeSpan warmup,
        Func<Payload, IReadOnlyList<PathKey>> repeats, CancellationToken cancellationToken)
    {
        var samples = new Dictionary<(Payload, PathKey), List<LoadResult>>();
        await AnsiConsole.Progress().AutoClear(false).HideCompleted(false).StartAsync(async ctx =>
        {
            var task = ctx.AddTask($"{replica} replica", maxValue: (rounds * payloads.Sum(p => paths.Paths.Count + repeats(p).Count)) + 1);

            // Warm-up at the first payload's rate: connections, TLS sessions, the picker's streams, and the JIT. The
            // gateway and scheduler get three times as long: tiered compilation re-compiles ~2,700 of their methods
            // (instrumented, then optimized) in the first seconds of traffic, which is start-up cost, not the data
            // path's steady state (measured for issue 11; the realistic rounds would otherwise start with it).
            foreach (var path in paths.Paths)
            {
                task.Description = $"{replica}: warm-up {path}";
                var span = path.Target == PathKey.Gateway ? warmup * 3 : warmup;
                await LoadDriver.FixedRateAsync(Sender(paths, path, payloads[0]), payloads[0].Rate, span, 256, cancellationToken);
            }

            task.Increment(1);
            for (var round = 0; round < rounds; round++)
            {
                foreach (var payload in payloads)
                {
                    // Every other round runs the paths in reverse order, so drift within a round (the load of the machine,
                    // the replica's state) falls on each path of a pair as often before as after: paired differences
                    // then cancel it over the rounds instead of reading it as latency added.
                    var order = paths.Paths.Concat(repeats(payload)).ToList();
                    if (round % 2 == 1)
                    {
                        order.Reverse();
                    }

                    foreach (var path in order)
                    {
                        task.Description = $"{replica}: {payload.Name} {path} @ {payload.Rate}/s (round {round + 1})";
                        var result = await LoadDriver.FixedRateAsync(Sender(paths, path, payload), payload.Rate, run, 256, cancellationToken);
                        if (!samples.TryGetValue((payload, path), out var list))
                        {
                            samples[(payload, path)] = list = [];
                        }

                        list.Add(result);
                        task.Increment(1);
                    }
                }
            }
        });
        return samples;
    }

    private sealed record Throughput(double RequestsPerSecond, double CpuSecondsPerRequest, int Errors, string? FirstError);

    /// <summary>Closed loop at <see cref="MaxConnections"/>, interleaved rounds; medians. CPU is the proxy's own processes.</summary>
    private static async Task<Dictionary<PathKey, Throughput>> ThroughputAsync(
        PathSet paths, Payload payload, int rounds, TimeSpan run, CancellationToken cancellationToken)
    {
        var runs = paths.Paths.ToDictionary(p => p, _ => new List<(double Rps, double CpuPerRequest, LoadResult Result)>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var path in paths.Paths)
            {
                AnsiConsole.MarkupLine($"[grey]max throughput {path} (round {round + 1})[/]");
                var pids = paths.ProxyProcessIds(path);
                var cpuBefore = ProcessCpu.Seconds(pids);
                var result = await LoadDriver.ClosedLoopAsync(Sender(paths, path, payload), MaxConnections, run, cancellationToken);
                var cpu = ProcessCpu.Seconds(pids) - cpuBefore;
                runs[path].Add((result.RequestsPerSecond, result.Completed > 0 ? cpu / result.Completed : double.NaN, result));
            }
        }

        return runs.ToDictionary(r => r.Key, r => new Throughput(
            Stats.Median(r.Value.Select(v => v.Rps)),
            Stats.Median(r.Value.Select(v => v.CpuPerRequest)),
            r.Value.Sum(v => v.Result.Errors),
            r.Value.Select(v => v.Result.FirstError).FirstOrDefault(e => e is not null)));
    }

    private static readonly (string Name, double P)[] Percentiles = [("p50", 50), ("p90", 90), ("p99", 99), ("p99_9", 99.9)];

    /// <summary>
    /// One row per payload × protocol: each path's percentiles (medians over rounds); the added latency over direct by
    /// the first estimator (path's percentile minus direct's, round by round, median over rounds: <c>added_*</c>) and
    /// by the paired one (<see cref="PairedComparison"/>: <c>paired_*</c>, <c>shift_*</c>, with 95% intervals); the
    /// same for nginx with an <c>nginx_</c> prefix.
    /// </summary>
    private static List<JsonObject> LatencyRows(
        string replica, Payload[] payloads, Dictionary<(Payload Payload, PathKey Path), List<LoadResult>> samples)
    {
        var rows = new List<JsonObject>();
        foreach (var payload in payloads)
        {
            var direct = samples[(payload, PathKey.Direct)];
            foreach (var https in new[] { false, true })
            {
                var row = RowOf(replica, payload, https ? "https" : "http", direct);
                var errors = direct.Sum(r => r.Errors);
                var firstErrors = new List<string?> { direct.Select(r => r.FirstError).FirstOrDefault(e => e is not null) };
                foreach (var (label, path) in new[] { ("direct", PathKey.Direct), ("gateway", new PathKey(PathKey.Gateway, https)), ("nginx", new PathKey(PathKey.Nginx, https)) })
                {
                    if (!samples.TryGetValue((payload, path), out var runs))
                    {
                        continue;
                    }

                    foreach (var (name, p) in Percentiles)
                    {
                        row[$"{label}_{name}_ms"] = Stats.Round(Stats.Median(runs.Select(r => Stats.Percentile(r.LatenciesMs, p))));
                    }

                    if (label != "direct")
                    {
                        AddComparison(row, label == "gateway" ? "" : "nginx_", replica, payload, path, runs, direct);
                        errors += runs.Sum(r => r.Errors);
                        firstErrors.Add(runs.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
                    }
                }

                row["errors"] = errors;
                row["first_error"] = firstErrors.FirstOrDefault(e => e is not null);
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>
    /// The A/A rows: a path run twice in the same rounds, compared with itself by both estimators. Nothing differs but
    /// chance and drift within a round, so what they show is the estimators' resolution, not a cost.
    /// </summary>
    private static IEnumerable<JsonObject> RepeatRows(
        string replica, Payload[] payloads, Dictionary<(Payload Payload, PathKey Path), List<LoadResult>> samples, IReadOnlyList<PathKey> repeats)
    {
        foreach (var payload in payloads)
        {
            foreach (var repeat in repeats)
            {
                if (!samples.TryGetValue((payload, repeat), out var runs)
                    || !samples.TryGetValue((payload, repeat with { Repeat = false }), out var first))
                {
                    continue;
                }

                var row = RowOf(replica, payload, repeat.Https ? "https" : "http", first);
                row["comparison"] = $"A/A: {repeat} vs {repeat with { Repeat = false }}";
                AddComparison(row, "", replica, payload, repeat, runs, first);
                row["errors"] = runs.Sum(r => r.Errors) + first.Sum(r => r.Errors);
                yield return row;
            }
        }
    }

    private static JsonObject RowOf(string replica, Payload payload, string protocol, List<LoadResult> baseline) => new()
    {
        ["replica"] = replica,
        ["protocol"] = protocol,
        ["payload"] = payload.Name,
        ["rate_rps"] = payload.Rate,
        ["samples_per_run"] = baseline.Count == 0 ? 0 : (int)baseline.Average(r => r.LatenciesMs.Length),
    };

    /// <summary>
    /// Both estimators of what <paramref name="runs"/> add over <paramref name="baseline"/> (the same rounds, in order).
    /// Bootstrap blocks are half a second of consecutive requests, a whole number of 16-request max_tokens cycles, so a
    /// stall that delays a run of neighbours is resampled whole and every block asks for the same mix of work.
    /// </summary>
    private static void AddComparison(JsonObject row, string prefix, string replica, Payload payload, PathKey path, List<LoadResult> runs, List<LoadResult> baseline)
    {
        var block = 16 * (int)Math.Ceiling(payload.Rate * 0.5 / 16);
        var compared = PairedComparison.Compare(
            runs.Zip(baseline, (r, b) => new PairedComparison.Round(r.ByIndexMs, b.ByIndexMs)).ToArray(),
            Percentiles.Select(p => p.P).ToArray(), block, seed: StableSeed.Of(replica, payload.Name, payload.Rate, path));
        row[prefix + "pairs"] = compared.Pairs;
        foreach (var (name, p) in Percentiles)
        {
            row[$"{prefix}added_{name}_ms"] = Stats.Round(Stats.Median(runs.Zip(baseline, (r, b) => Stats.Percentile(r.LatenciesMs, p) - Stats.Percentile(b.LatenciesMs, p))));
            var at = compared.At(p);
            foreach (var (kind, estimate) in new[] { ("paired", at.Paired), ("shift", at.Shift) })
            {
                row[$"{prefix}{kind}_{name}_ms"] = Stats.Round(estimate.Value);
                row[$"{prefix}{kind}_{name}_ci_low_ms"] = Stats.Round(estimate.Low);
                row[$"{prefix}{kind}_{name}_ci_high_ms"] = Stats.Round(estimate.High);
            }
        }
    }

    private static void AddThroughput(List<JsonObject> rows, Dictionary<PathKey, Throughput> throughput)
    {
        foreach (var row in rows.Where(r => (string?)r["payload"] == "small"))
        {
            var https = (string?)row["protocol"] == "https";
            double? Rps(PathKey key) => throughput.TryGetValue(key, out var t) ? Math.Round(t.RequestsPerSecond) : null;
            // Requests per CPU-second of the proxy's processes: what one fully used core would serve.
            double? PerCore(PathKey key) => throughput.TryGetValue(key, out var t) && t.CpuSecondsPerRequest > 0 ? Math.Round(1 / t.CpuSecondsPerRequest) : null;
            var gateway = new PathKey(PathKey.Gateway, https);
            var nginx = new PathKey(PathKey.Nginx, https);
            row["max_rps"] = Rps(gateway);
            row["direct_max_rps"] = Rps(PathKey.Direct);
            row["nginx_max_rps"] = Rps(nginx);
            row["max_rps_vs_nginx"] = Rps(gateway) is { } g && Rps(nginx) is { } n && n > 0 ? Math.Round(g / n, 3) : null;
            row["rps_per_core"] = PerCore(gateway);
            row["direct_rps_per_core"] = PerCore(PathKey.Direct);
            row["nginx_rps_per_core"] = PerCore(nginx);
            row["cpu_us_per_request"] = throughput.TryGetValue(gateway, out var gt) ? Stats.Round(gt.CpuSecondsPerRequest * 1e6, 1) : null;
            row["nginx_cpu_us_per_request"] = throughput.TryGetValue(nginx, out var nt) ? Stats.Round(nt.CpuSecondsPerRequest * 1e6, 1) : null;
            row["throughput_errors"] = throughput.Values.Sum(t => t.Errors);
        }
    }

    /// <summary>Latency by percentile per path, all rounds pooled; x on a "nines" scale so the tail gets room.</summary>
    private static LineChart Cdf(string file, string title, PathSet paths, Dictionary<(Payload Payload, PathKey Path), List<LoadResult>> samples, Payload payload, bool logY)
    {
        var chart = new LineChart(file, title, "percentile, as nines: 0 = p0, 1 = p90, 2 = p99, 3 = p99.9", "latency (ms)") { LogY = logY };
        double[] percentiles = [0.1, 10, 25, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.3, 99.5, 99.7, 99.8, 99.9, 99.95];
        foreach (var path in paths.Paths)
        {
            if (!samples.TryGetValue((payload, path), out var runs))
            {
                continue;
            }

            var sorted = runs.SelectMany(r => r.LatenciesMs).ToArray();
            Array.Sort(sorted);
            chart.Add(path.ToString(), percentiles
                .Where(p => sorted.Length * (100 - p) / 100 >= 1)
                .Select(p => (-Math.Log10(1 - (p / 100)), Stats.PercentileSorted(sorted, p))));
        }

        return chart;
    }

    private static void Summarize(ScenarioReport report)
    {
        JsonObject? Row(string replica, string payload, string protocol, double? rate = null) => report.Rows.FirstOrDefault(r =>
            (string?)r["replica"] == replica && (string?)r["payload"] == payload && (string?)r["protocol"] == protocol
            && (rate is null || (double?)r["rate_rps"] == rate) && r["comparison"] is null);
        static double Get(JsonObject? row, string field) => (double?)row?[field] ?? double.NaN;
        var aa = report.Rows.FirstOrDefault(r => (string?)r["comparison"] is { } c && c.StartsWith("A/A: direct", StringComparison.Ordinal));

        bool Ran(string replica) => report.Rows.Any(r => (string?)r["replica"] == replica);
        if (Ran(Realistic))
        {
            // Judged on the paired estimator (PairedComparison): p50 = median of the per-request differences, p99 = the shift
            // of the pooled p99 with the pairs resampled together. The A/A rows show why: see the notes.
            foreach (var protocol in new[] { "http", "https" })
            {
                var row = Row(Realistic, "chat 1-16 tokens", protocol, TargetRate);
                report.Targets.Add(Judge($"added p50, realistic replica, {TargetRate:0} req/s, {protocol.ToUpperInvariant()}", "≤ 1 ms (issue 11)", 1.0,
                    row, "paired_p50",
                    $"median of per-request differences; nginx {Ci(row, "nginx_paired_p50")}; first estimator {F(Get(row, "added_p50_ms"))}"));
                report.Targets.Add(Judge($"added p99, realistic replica, {TargetRate:0} req/s, {protocol.ToUpperInvariant()}", "≤ 3 ms (issue 11)", 3.0,
                    row, "shift_p99",
                    $"p99 − direct's p99; nginx {Ci(row, "nginx_shift_p99")}; p99 of per-request differences {F(Get(row, "paired_p99_ms"))}, "
                    + $"A/A {F(Get(aa, "paired_p99_ms"))}; first estimator {F(Get(row, "added_p99_ms"))}; direct p99 {F(Get(row, "direct_p99_ms"))}"));
            }
        }

        if (Ran(Fast))
        {
            foreach (var protocol in new[] { "http", "https" })
            {
                var row = Row(Fast, "small", protocol);
                var ratio = Get(row, "max_rps_vs_nginx");
                report.Targets.Add(new TargetCheck($"max throughput vs nginx, small, {protocol.ToUpperInvariant()}, {MaxConnections} connections",
                    "≥ 0.5× nginx's (issue 11)",
                    string.Create(CultureInfo.InvariantCulture,
                        $"{ratio:0.##}× (gateway + scheduler {row?["max_rps"]} req/s, {row?["rps_per_core"]} per core; nginx {row?["nginx_max_rps"] ?? (JsonNode)"n/a"}, {row?["nginx_rps_per_core"] ?? (JsonNode)"n/a"} per core; direct {row?["direct_max_rps"]})"),
                    double.IsNaN(ratio) ? null : ratio >= 0.5,
                    ratio < 0.5 ? string.Create(CultureInfo.InvariantCulture, $"missed by {(0.5 - ratio) / 0.5:P0} of the target") : null));
            }

            var smallHttp = Row(Fast, "small", "http");
            var largeHttp = Row(Fast, "220KB", "http");
            report.Targets.Add(Judge("added p50, fast replica, small, HTTP", "≤ 1 ms", 1.0, smallHttp, "paired_p50",
                $"median of per-request differences; first estimator {F(Get(smallHttp, "added_p50_ms"))}"));
            report.Targets.Add(Judge("added p50, fast replica, 220 KB prompt, HTTP", "≤ 10 ms (upstream EPP ~261 ms body streaming)", 10.0, largeHttp, "paired_p50",
                $"median of per-request differences; first estimator {F(Get(largeHttp, "added_p50_ms"))}"));
            report.Targets.Add(Judge("added p99, fast replica, 220 KB prompt, HTTP", "≤ 10 ms", 10.0, largeHttp, "shift_p99",
                $"p99 − direct's p99, direct p99 {F(Get(largeHttp, "direct_p99_ms"))}; first estimator {F(Get(largeHttp, "added_p99_ms"))}"));
        }

        foreach (var error in report.Rows.Select(r => (string?)r["first_error"]).Where(e => e is not null).Distinct())
        {
            report.Notes.Add("errors seen, first: " + error);
        }

        string[] latency = ["replica", "protocol", "payload", "rate_rps", "direct_p50_ms", "direct_p99_ms", "direct_p99_9_ms",
            "gateway_p50_ms", "gateway_p90_ms", "gateway_p99_ms", "gateway_p99_9_ms",
            "added_p50_ms", "added_p90_ms", "added_p99_ms", "added_p99_9_ms", "nginx_added_p50_ms", "nginx_added_p99_ms", "nginx_added_p99_9_ms", "errors"];
        report.Tables.Add(new TableView("Realistic replica: latency at fixed rate (ms from intended start; medians over rounds; added = first estimator: path's percentile − direct's in the same round, median over rounds)",
            latency, r => (string?)r["replica"] == Realistic && r["comparison"] is null));
        report.Tables.Add(new TableView("Fast replica: latency at fixed rate (same columns)", latency, r => (string?)r["replica"] == Fast));
        string[] paired = ["replica", "protocol", "payload", "rate_rps", "pairs",
            "paired_p50_ms", "paired_p50_ci_low_ms", "paired_p50_ci_high_ms", "added_p50_ms",
            "shift_p99_ms", "shift_p99_ci_low_ms", "shift_p99_ci_high_ms", "added_p99_ms", "paired_p99_ms",
            "nginx_paired_p50_ms", "nginx_paired_p50_ci_low_ms", "nginx_paired_p50_ci_high_ms", "nginx_shift_p99_ms", "nginx_shift_p99_ci_low_ms", "nginx_shift_p99_ci_high_ms", "nginx_paired_p99_ms"];
        report.Tables.Add(new TableView("Added latency, paired by request (pooled rounds, 95% block-bootstrap CI; added_* = first estimator beside)",
            paired, r => r["comparison"] is null));
        report.Tables.Add(new TableView("A/A: the same path twice in the same rounds — what each estimator reads when nothing differs (its resolution)",
            ["comparison", "rate_rps", "pairs", "added_p50_ms", "paired_p50_ms", "paired_p50_ci_low_ms", "paired_p50_ci_high_ms",
             "added_p99_ms", "shift_p99_ms", "shift_p99_ci_low_ms", "shift_p99_ci_high_ms", "paired_p99_ms", "paired_p99_9_ms", "errors"],
            r => r["comparison"] is not null));
        report.Tables.Add(new TableView($"Maximum throughput (closed loop, {MaxConnections} connections, small request, medians over rounds)",
            ["protocol", "direct_max_rps", "nginx_max_rps", "max_rps", "max_rps_vs_nginx", "direct_rps_per_core", "nginx_rps_per_core", "rps_per_core", "nginx_cpu_us_per_request", "cpu_us_per_request", "throughput_errors"],
            r => (string?)r["replica"] == Fast && (string?)r["payload"] == "small"));

        report.Notes.Add("Added latency, paired (judged): every path runs the same open-loop schedule, and request i has the same intended start offset and body (max_tokens) on each, so latency(path, i) − latency(direct, i) in the same round cancels what the request itself costs. paired_pXX = the XX-th percentile of those per-request differences, pooled over rounds; shift_pXX = the path's pXX minus direct's over the same pooled pairs. 95% CI: percentile bootstrap (1,000 replicates) of blocks of consecutive requests (half a second, whole max_tokens cycles) resampled within each round.");
        report.Notes.Add("Why paired: with the realistic replica's 18-215 ms spread and its ~12 ms decode steps, a percentile of one run moves from run to run by about as much as the 1 ms target (which requests land near it, where in the step cycle each arrives), so the first estimator (added_* = path's percentile − direct's, round by round, median over rounds; kept beside) cannot resolve a 1 ms target; the A/A table shows what each estimator reads when a path is compared with itself in the same rounds.");
        report.Notes.Add("The targets judge added p50 = paired_p50 (the typical request's added latency) and added p99 = shift_p99 (how much the p99 a client sees grows: the issue's quantity). paired_p99 (99% of requests got at most this much added) is shown beside it but also holds the replica's own run-to-run jitter: read it against its A/A value, which is its floor, not 0. Met/missed is said on the point estimate; where the 95% CI reaches across the target the row says so.");
        report.Notes.Add("Direct is HTTP to the replica, so HTTPS rows include TLS (nginx HTTPS is the peer for that).");
        report.Notes.Add("Latency is measured from each request's intended start of an open-loop schedule (coordinated-omission safe), so a stall is charged to every request it delays.");
        report.Notes.Add("Realistic replica: one simulator process at --time-scale 1 (real time), max_tokens 1-16 (request i asks for 1 + i mod 16 on every path), non-streamed chat.");
        report.Notes.Add("Fast replica: two simulator processes at --time-scale 1000 with max_tokens 1, so those figures are the data path's alone.");
        report.Notes.Add("Per core = completed requests ÷ CPU seconds of the proxy's processes during the closed-loop run (gateway + scheduler; nginx master + worker; for direct, the replica).");
        report.Notes.Add("Load generator, gateway, scheduler, replicas and nginx share the same machine (load average recorded in the parameters): absolute numbers include contention; compare within the run only.");
    }

    /// <summary>
    /// A target judged on a paired estimate: met or missed on the point estimate, and said so when the 95% interval
    /// reaches across the target (the measurement cannot tell then).
    /// </summary>
    private static TargetCheck Judge(string name, string anchor, double limit, JsonObject? row, string field, string context)
    {
        var value = (double?)row?[field + "_ms"] ?? double.NaN;
        var low = (double?)row?[field + "_ci_low_ms"] ?? double.NaN;
        var high = (double?)row?[field + "_ci_high_ms"] ?? double.NaN;
        var notes = new List<string>();
        if (value > limit)
        {
            notes.Add($"missed by {F(value - limit)}");
        }

        if (low <= limit && limit < high)
        {
            notes.Add("the 95% CI straddles the target");
        }

        return new TargetCheck(name, anchor, $"{Ci(row, field)} ({context})", double.IsNaN(value) ? null : value <= limit,
            notes.Count == 0 ? null : string.Join("; ", notes));
    }

    /// <summary>"+0.9 ms [0.8, 1.0]": a paired estimate with its 95% interval.</summary>
    private static string Ci(JsonObject? row, string field)
    {
        var value = (double?)row?[field + "_ms"] ?? double.NaN;
        return double.IsNaN(value) ? "n/a" : string.Create(CultureInfo.InvariantCulture,
            $"{F(value)} [95% CI {(double?)row?[field + "_ci_low_ms"]:0.###}, {(double?)row?[field + "_ci_high_ms"]:0.###}]");
    }

    private static string F(double ms) => double.IsNaN(ms) ? "n/a" : ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    /// <summary>
    /// OpenAI chat bodies: short ones (~250 B), or ones padded to <paramref name="padBytes"/> of prompt text; variant
    /// <c>v</c> asks for <paramref name="maxTokens"/>(v) tokens.
    /// </summary>
    private static byte[][] Bodies(int variants, int padBytes, Func<int, int> maxTokens)
    {
        var words = new[] { "latency", "gateway", "scheduler", "replica", "prefix", "cache", "token", "stream", "queue", "model" };
        var bodies = new byte[variants][];
        for (var v = 0; v < variants; v++)
        {
            var text = new StringBuilder(padBytes + 128);
            text.Append(CultureInfo.InvariantCulture, $"Request variant {v}: summarise the following notes in one sentence. ");
            var rng = new Random(v);
            while (text.Length < padBytes)
            {
                text.Append(words[rng.Next(words.Length)]).Append(' ');
            }

            var body = new JsonObject
            {
                ["model"] = LocalCluster.Model,
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "system", ["content"] = "You are a helpful assistant. Answer briefly." },
                    new JsonObject { ["role"] = "user", ["content"] = text.ToString() }),
                ["max_tokens"] = maxTokens(v),
                ["temperature"] = 0,
            };
            bodies[v] = Encoding.UTF8.GetBytes(body.ToJsonString());
        }

        return bodies;
    }
}
