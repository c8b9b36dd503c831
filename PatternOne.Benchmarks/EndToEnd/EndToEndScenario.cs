using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.DataPath;
using PatternOne.Benchmarks.Hosting;
using PatternOne.Benchmarks.Reporting;
using PatternOne.Benchmarks.Scheduling;
using PatternOne.Scheduler.Profiles;
using PatternOne.VllmSimulator.Engine;
using Spectre.Console;

namespace PatternOne.Benchmarks.EndToEnd;

/// <summary>
/// The scheduling benchmark end to end over HTTP: gateway + scheduler + N simulator processes started from the built
/// dlls, the simulators time-scaled, streaming chat completions with Poisson arrivals. Every point is also run in
/// virtual time with the same workload, engine sizes and arrivals, and both are reported side by side, so the table
/// shows whether the virtual-time results hold in the real system. Times are reported in the simulated (model) clock:
/// real time × time-scale.
/// </summary>
public sealed class EndToEndScenario : IScenario
{
    /// <summary>The mode of rows computed in virtual time beside the HTTP ones.</summary>
    private const string Simulated = "simulated (virtual time)";

    public string Name => "e2e";

    private sealed record Plan(int Replicas, string[] Policies, double[] QpsPerReplica, double TimeScale, TimeSpan Window, TimeSpan Warmup,
        int GroupsPerReplica, int PromptsPerGroup, int SystemTokens, int QuestionTokens, int OutputTokens, int KvBlocks, int MaxNumSeqs);

    private static readonly Plan Full = new(4, [BuiltInProfiles.RoundRobin, BuiltInProfiles.LeastQueue, BuiltInProfiles.Default, ProfileCatalog.DefaultNoShedding], [2, 4],
        TimeScale: 1, Window: TimeSpan.FromSeconds(20), Warmup: TimeSpan.FromSeconds(5),
        GroupsPerReplica: 8, PromptsPerGroup: 8, SystemTokens: 1024, QuestionTokens: 128, OutputTokens: 64, KvBlocks: 1024, MaxNumSeqs: 64);

    private static readonly Plan Quick = new(2, [BuiltInProfiles.RoundRobin, BuiltInProfiles.Default], [4],
        TimeScale: 1, Window: TimeSpan.FromSeconds(3), Warmup: TimeSpan.FromSeconds(1),
        GroupsPerReplica: 2, PromptsPerGroup: 4, SystemTokens: 256, QuestionTokens: 32, OutputTokens: 16, KvBlocks: 256, MaxNumSeqs: 32);

    /// <summary>What every point of a run shares: the workload, its prompts (and their two messages as the HTTP client sends them), the engine's sizes, the work folder and the gateway's certificate.</summary>
    private sealed record Inputs(SharedPrefixWorkload Workload, IReadOnlyList<SharedPrefixWorkload.Prompt> Prompts, (string System, string Question)[] Texts,
        EngineOptions Engine, string Work, string Cert, string Key);

    public async Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var plan = context.Quick ? Quick : Full;
        var report = new ScenarioReport(Name, "Scheduling quality end to end over HTTP (gateway + scheduler + simulator processes)");
        DescribePlan(report, plan);
        var inputs = PrepareInputs(context, plan);
        if (context.Repo.Dll(RepoLayout.Gateway) is null || context.Repo.Dll(RepoLayout.Scheduler) is null || context.Repo.Dll(RepoLayout.Simulator) is null)
        {
            report.Skipped = true;
            report.Notes.Add($"Skipped: built service dlls not found for configuration {context.Repo.Configuration}; run `dotnet build PatternOne.sln -c {context.Repo.Configuration}` first.");
            return report;
        }

        await RunPointsAsync(context, plan, inputs, report, cancellationToken);
        AddComparison(report, plan);
        return report;
    }

    private static void DescribePlan(ScenarioReport report, Plan plan)
    {
        var p = report.Parameters;
        p["replicas"] = plan.Replicas;
        p["time_scale"] = plan.TimeScale;
        p["window_s_simulated"] = plan.Window.TotalSeconds;
        p["workload"] = $"high-cache: {plan.GroupsPerReplica * plan.Replicas} groups × {plan.PromptsPerGroup}, system {plan.SystemTokens}, question {plan.QuestionTokens}, output {plan.OutputTokens} tokens";
        p["kv_blocks_per_replica"] = plan.KvBlocks;
        p["kv"] = "KV-constrained: --num-gpu-blocks-override, far below the simulator's default (the TPU v6e sizing), so the small workload still fills the caches";
        p["max_num_seqs"] = plan.MaxNumSeqs;
    }

    private static Inputs PrepareInputs(RunContext context, Plan plan)
    {
        var engine = new EngineOptions { MaxModelLen = 2048, NumGpuBlocks = plan.KvBlocks, MaxNumSeqs = plan.MaxNumSeqs };
        var workload = new SharedPrefixWorkload("high-cache", plan.GroupsPerReplica * plan.Replicas, plan.PromptsPerGroup, plan.SystemTokens, plan.QuestionTokens, plan.OutputTokens);
        var prompts = workload.Build(context.Options.Seed);

        // The same text the HTTP client sends, split back into its two messages.
        var texts = prompts.Select(x => SplitMessages(x.RenderedText)).ToArray();

        var work = Path.Combine(Path.GetTempPath(), "patternone-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-e2e");
        var (cert, key) = LocalCertificate.Write(Path.Combine(work, "tls"));
        return new Inputs(workload, prompts, texts, engine, work, cert, key);
    }

    /// <summary>Every (policy, QPS) point twice: in virtual time, then over HTTP on a fresh cluster; a row for each.</summary>
    private static async Task RunPointsAsync(RunContext context, Plan plan, Inputs inputs, ScenarioReport report, CancellationToken cancellationToken)
    {
        var points = plan.Policies.SelectMany(policy => plan.QpsPerReplica.Select(q => (Policy: policy, Qps: q * plan.Replicas))).ToList();
        using var probe = LoadDriver.CreateClient(4);
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
        {
            var task = ctx.AddTask("e2e points", maxValue: points.Count);
            foreach (var (policy, qps) in points)
            {
                task.Description = $"{policy} @ {qps} QPS (simulated)";
                var simulated = RunSimulatedPoint(context, plan, inputs, policy, qps, cancellationToken);
                var http = await RunHttpPointAsync(context, plan, policy, qps, inputs, probe, cancellationToken);
                report.Rows.Add(simulated);
                report.Rows.Add(http);
                task.Increment(1);
            }
        });
    }

    private static JsonObject RunSimulatedPoint(RunContext context, Plan plan, Inputs inputs, string policy, double qps, CancellationToken cancellationToken)
    {
        var virt = VirtualTimeRun.Run(new PointSpec
        {
            Workload = inputs.Workload,
            Prompts = inputs.Prompts,
            Replicas = plan.Replicas,
            Policy = policy,
            Qps = qps,
            ArrivalWindow = plan.Window,
            Warmup = plan.Warmup,
            Engine = inputs.Engine,
            Seed = context.Options.Seed,
        }, cancellationToken);
        return Row(Simulated, policy, qps, virt.TtftP50Ms, virt.TtftP90Ms, virt.TtftP99Ms, virt.ItlP50Ms, virt.ItlP90Ms, virt.OutputTokensPerS, virt.PrefixHitRate, virt.MaxQueue, virt.Rejections, 0);
    }

    /// <summary>The side-by-side table, the p90 TTFT chart, the comparison of the two modes, and how to read them.</summary>
    private static void AddComparison(ScenarioReport report, Plan plan)
    {
        report.Tables.Add(new TableView("Simulated (virtual time) vs measured over HTTP (ms of the model's clock)",
            ["policy", "qps", "mode", "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p90_ms", "output_tokens_per_s", "prefix_hit_rate", "max_queue", "rejections_429", "errors"], _ => true));
        var chart = new LineChart("e2e-ttft-p90.svg", "p90 TTFT: simulated (virtual time) vs measured over HTTP", "QPS", "p90 TTFT (ms, log)") { LogY = true };
        foreach (var policy in plan.Policies)
        {
            foreach (var mode in new[] { Simulated, "http" })
            {
                chart.Add($"{policy} ({mode})", report.Rows.Where(r => (string?)r["policy"] == policy && (string?)r["mode"] == mode)
                    .Select(r => ((double)r["qps"]!, (double?)r["ttft_p90_ms"] ?? double.NaN)));
            }
        }

        report.Charts.Add(chart);
        Compare(report, plan);
        report.Notes.Add($"Simulators run at --time-scale {plan.TimeScale}: HTTP latencies are multiplied by {plan.TimeScale} to read in the model's clock, so real HTTP/scheduling overhead is magnified {plan.TimeScale}× too.");
        report.Notes.Add("Each (policy, QPS) point starts a fresh cluster (cold caches), with the policy as the scheduler's EndpointPickerConfig file (--config-file). Token counts over HTTP come from the simulator's tokenizer and chat template, so prompts are a few tokens longer than in the virtual run.");
    }

    private static async Task<JsonObject> RunHttpPointAsync(
        RunContext context, Plan plan, string policy, double qps, Inputs inputs, HttpClient probe, CancellationToken cancellationToken)
    {
        var pointDir = Path.Combine(inputs.Work, $"{policy}-{qps.ToString(CultureInfo.InvariantCulture)}");
        await using var cluster = await LocalCluster.StartAsync(context.Repo, new LocalCluster.Spec
        {
            Replicas = plan.Replicas,
            TimeScale = plan.TimeScale,
            MaxModelLen = 2048,
            ExtraSimulatorArgs = ["--num-gpu-blocks-override", plan.KvBlocks.ToString(CultureInfo.InvariantCulture), "--max-num-seqs", plan.MaxNumSeqs.ToString(CultureInfo.InvariantCulture)],
            SchedulerConfigYaml = ProfileCatalog.Yaml(policy),
            WorkDirectory = pointDir,
            CertPath = inputs.Cert,
            KeyPath = inputs.Key,
        }, probe, cancellationToken);

        await WarmUpAsync(cluster, plan, cancellationToken);
        var arrivals = DrawArrivals(context.Options.Seed, qps, plan.Window, inputs.Prompts.Count);

        using var probeStop = new CancellationTokenSource();
        var maxQueue = Task.Run(() => ProbeMaxQueueAsync(probe, cluster, plan, probeStop.Token), CancellationToken.None);
        var t0 = Stopwatch.GetTimestamp();
        var results = await SendOpenLoopAsync(cluster, plan, inputs.Texts, arrivals, t0, cancellationToken);
        var realElapsed = Stopwatch.GetElapsedTime(t0);
        await probeStop.CancelAsync();

        var row = HttpRow(plan, policy, qps, results, await maxQueue);
        row["real_seconds"] = Math.Round(realElapsed.TotalSeconds, 1);
        if (results.Select(r => r.Result.Error).FirstOrDefault(e => e is not null) is { } firstError)
        {
            row["first_error"] = firstError;
        }

        return row;
    }

    /// <summary>Not measured: JIT of every hop, gRPC channel, the scheduler's first scrapes. Prompts outside the workload.</summary>
    private static async Task WarmUpAsync(LocalCluster cluster, Plan plan, CancellationToken cancellationToken)
    {
        using var warm = LoadDriver.CreateClient(8);
        warm.Timeout = TimeSpan.FromSeconds(30);
        for (var i = 0; i < plan.Replicas * 3; i++)
        {
            await StreamingClient.SendAsync(warm, cluster.GatewayUri(false, "v1/chat/completions"), "warm-up " + i.ToString(CultureInfo.InvariantCulture), "ping",
                2, Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(100), cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
    }

    /// <summary>
    /// Poisson arrivals (simulated seconds) over the window, each a uniformly drawn prompt. The same arrivals as the
    /// virtual run would draw are not required; same rate, same prompt distribution.
    /// </summary>
    private static List<(double At, int Prompt)> DrawArrivals(int seed, double qps, TimeSpan window, int promptCount)
    {
        var rng = new Random(StableSeed.Of(seed, qps));
        var arrivals = new List<(double At, int Prompt)>();
        for (var t = Gap(rng, qps); t < window.TotalSeconds; t += Gap(rng, qps))
        {
            arrivals.Add((t, rng.Next(promptCount)));
        }

        return arrivals;
    }

    /// <summary>Scrapes every replica's queue depth until <paramref name="stop"/>; the deepest queue seen.</summary>
    private static async Task<int> ProbeMaxQueueAsync(HttpClient probe, LocalCluster cluster, Plan plan, CancellationToken stop)
    {
        var maxQueue = 0;
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < plan.Replicas; i++)
            {
                try
                {
                    var text = await probe.GetStringAsync(cluster.ReplicaUri(i, "metrics"), stop).WaitAsync(TimeSpan.FromSeconds(2), stop);
                    maxQueue = Math.Max(maxQueue, WaitingFrom(text));
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutException)
                {
                }
            }

            try
            {
                // Scrape cadence of the queue-depth probe (50 ms of simulated time), not a wait for state.
                await Task.Delay(TimeSpan.FromMilliseconds(50 / plan.TimeScale * 4), stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return maxQueue;
    }

    /// <summary>
    /// Sends each arrival at its time (real time = simulated / time-scale) from <paramref name="t0"/>, whether or not
    /// earlier ones have finished (open loop); a failed request is a result with its error.
    /// </summary>
    private static async Task<List<(double At, StreamedResult Result)>> SendOpenLoopAsync(
        LocalCluster cluster, Plan plan, (string System, string Question)[] texts, List<(double At, int Prompt)> arrivals, long t0, CancellationToken cancellationToken)
    {
        using var client = LoadDriver.CreateClient(1024);
        client.Timeout = TimeSpan.FromMinutes(5);
        var url = cluster.GatewayUri(false, "v1/chat/completions");
        var results = new ConcurrentBag<(double At, StreamedResult Result)>();
        var tasks = new List<Task>(arrivals.Count);
        foreach (var (at, promptIndex) in arrivals)
        {
            var realAt = TimeSpan.FromSeconds(at / plan.TimeScale);
            var wait = realAt - Stopwatch.GetElapsedTime(t0);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                // Open-loop schedule of the Poisson arrivals.
                await Task.Delay(wait, cancellationToken);
            }

            var intended = t0 + (long)(realAt.TotalSeconds * Stopwatch.Frequency);
            tasks.Add(Task.Run(async () =>
            {
                StreamedResult r;
                try
                {
                    r = await StreamingClient.SendAsync(client, url, texts[promptIndex].System, texts[promptIndex].Question, plan.OutputTokens, intended,
                        TimeSpan.FromSeconds(1 / plan.TimeScale), cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    r = new StreamedResult(0, null, [], 0, 0, 0, ex.GetType().Name + ": " + ex.Message);
                }

                results.Add((at, r));
            }, cancellationToken));
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(10), cancellationToken);
        return [.. results];
    }

    /// <summary>The HTTP row: latencies of the arrivals after the warm-up, in the model's clock (real × time-scale).</summary>
    private static JsonObject HttpRow(Plan plan, string policy, double qps, List<(double At, StreamedResult Result)> results, int maxQueue)
    {
        var scale = plan.TimeScale;
        var measured = results.Where(r => r.At >= plan.Warmup.TotalSeconds).ToList();
        var ttft = measured.Where(r => r.Result.FirstToken is not null).Select(r => r.Result.FirstToken!.Value.TotalMilliseconds * scale).ToArray();
        var itl = new List<double>();
        foreach (var (_, r) in measured)
        {
            for (var i = 1; i < r.TokenTimes.Count; i++)
            {
                itl.Add((r.TokenTimes[i] - r.TokenTimes[i - 1]).TotalMilliseconds * scale);
            }
        }

        // Output tokens/s in the simulated clock, over the measured part of the window.
        var from = plan.Warmup.TotalSeconds / scale;
        var to = plan.Window.TotalSeconds / scale;
        var tokens = results.Sum(r => r.Result.TokenTimes.Count(t => t.TotalSeconds + (r.At / scale) >= from && t.TotalSeconds + (r.At / scale) < to));
        var prompt = measured.Sum(r => (long)r.Result.PromptTokens);
        var cached = measured.Sum(r => (long)r.Result.CachedTokens);
        var errors = results.Count(r => r.Result.Error is not null);
        return Row("http", policy, qps, Stats.Percentile(ttft, 50), Stats.Percentile(ttft, 90), Stats.Percentile(ttft, 99),
            Stats.Percentile(itl, 50), Stats.Percentile(itl, 90), tokens / ((to - from) * scale), prompt == 0 ? 0 : (double)cached / prompt, maxQueue,
            results.Sum(r => r.Result.Rejections), errors);
    }

    // Note: token times are measured from the intended start (the arrival), so TokenTimes + At/scale is absolute.
    private static JsonObject Row(string mode, string policy, double qps, double p50, double p90, double p99, double itl50, double itl90, double tps, double hit, int maxQueue, int rejections, int errors) => new()
    {
        ["mode"] = mode,
        ["policy"] = policy,
        ["qps"] = qps,
        ["ttft_p50_ms"] = Stats.Round(p50, 1),
        ["ttft_p90_ms"] = Stats.Round(p90, 1),
        ["ttft_p99_ms"] = Stats.Round(p99, 1),
        ["itl_p50_ms"] = Stats.Round(itl50, 2),
        ["itl_p90_ms"] = Stats.Round(itl90, 2),
        ["output_tokens_per_s"] = double.IsFinite(tps) ? Math.Round(tps) : null,
        ["prefix_hit_rate"] = Stats.Round(hit, 3),
        ["max_queue"] = maxQueue,
        ["rejections_429"] = rejections,
        ["errors"] = errors,
    };

    /// <summary>Each policy and total QPS measured both ways: its virtual-time row and its HTTP row.</summary>
    private static IEnumerable<(string Policy, double Qps, JsonObject Virtual, JsonObject Http)> ModePairs(ScenarioReport report, Plan plan)
    {
        foreach (var policy in plan.Policies)
        {
            foreach (var qps in plan.QpsPerReplica.Select(q => q * plan.Replicas))
            {
                var v = report.Rows.FirstOrDefault(r => (string?)r["policy"] == policy && (double?)r["qps"] == qps && (string?)r["mode"] == Simulated);
                var h = report.Rows.FirstOrDefault(r => (string?)r["policy"] == policy && (double?)r["qps"] == qps && (string?)r["mode"] == "http");
                if (v is not null && h is not null)
                {
                    yield return (policy, qps, v, h);
                }
            }
        }
    }

    private static void Compare(ScenarioReport report, Plan plan)
    {
        foreach (var (policy, qps, v, h) in ModePairs(report, plan))
        {
            report.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{policy} @ {qps} QPS: hit rate virtual {(double?)v["prefix_hit_rate"]:P0} vs HTTP {(double?)h["prefix_hit_rate"]:P0}; p90 TTFT virtual {(double?)v["ttft_p90_ms"]:0} ms vs HTTP {(double?)h["ttft_p90_ms"]:0} ms"));
        }

        // The robust claim: where the requests land (hence the cache hit rate) is the same in both modes.
        foreach (var (policy, qps, v, h) in ModePairs(report, plan))
        {
            var hv = (double?)v["prefix_hit_rate"] ?? 0;
            var hh = (double?)h["prefix_hit_rate"] ?? 0;
            var gap = Math.Abs(hv - hh);
            var rejected = (int?)h["rejections_429"] ?? 0;
            report.Targets.Add(new TargetCheck($"{policy} hit rate at {qps} QPS", "HTTP within 10 points of simulated (virtual time)",
                string.Create(CultureInfo.InvariantCulture, $"virtual {hv:P0}, HTTP {hh:P0}"), gap <= 0.10,
                gap <= 0.10 ? null : rejected > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"off by {gap * 100:0} points; the scheduler shed {rejected} attempts with 429 over HTTP (stale or saturated metrics), and retried requests land wherever there is room")
                    : string.Create(CultureInfo.InvariantCulture, $"off by {gap * 100:0} points")));
        }

        // Latency: the claim issue 7 cares about is that prefix-aware scheduling beats cache-blind scheduling; the full
        // order is shown too, but neighbours a few ms apart can swap on a shared machine.
        string[] prefixAware = [BuiltInProfiles.Default, ProfileCatalog.DefaultNoShedding];
        foreach (var qps in plan.QpsPerReplica.Select(q => q * plan.Replicas))
        {
            List<JsonObject> RowsOf(string mode) => report.Rows.Where(r => (double?)r["qps"] == qps && (string?)r["mode"] == mode).ToList();
            string Order(string mode) => string.Join(" < ", RowsOf(mode).OrderBy(r => (double?)r["ttft_p90_ms"] ?? double.MaxValue).Select(r => (string?)r["policy"]));
            bool? AwareWins(string mode)
            {
                var rows = RowsOf(mode);
                var aware = rows.Where(r => prefixAware.Contains((string?)r["policy"])).Select(r => (double?)r["ttft_p90_ms"] ?? double.MaxValue).ToArray();
                var blind = rows.Where(r => !prefixAware.Contains((string?)r["policy"])).Select(r => (double?)r["ttft_p90_ms"] ?? double.MaxValue).ToArray();
                return aware.Length == 0 || blind.Length == 0 ? null : aware.Max() < blind.Min();
            }

            var virt = AwareWins(Simulated);
            var http = AwareWins("http");
            report.Targets.Add(new TargetCheck($"prefix-aware beats cache-blind on p90 TTFT at {qps} QPS", "simulated (virtual time) and measured over HTTP alike",
                $"simulated (virtual time): {Order(Simulated)}; HTTP: {Order("http")}",
                virt is null || http is null ? null : virt == true && http == true,
                virt == true && http == true ? null : "the two modes disagree (see the table and the load average)"));
        }
    }

    private static (string System, string Question) SplitMessages(string rendered)
    {
        // Rendered by SharedPrefixWorkload as two ChatML messages: system then user.
        const string Start = "<|im_start|>";
        const string End = "<|im_end|>\n";
        var parts = rendered.Split(End, StringSplitOptions.RemoveEmptyEntries);
        static string Content(string part) => part[(part.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        return (Content(parts[0].Replace(Start, "", StringComparison.Ordinal)), Content(parts[1].Replace(Start, "", StringComparison.Ordinal)));
    }

    private static int WaitingFrom(string metrics)
    {
        var max = 0;
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith("vllm:num_requests_waiting", StringComparison.Ordinal))
            {
                var value = line[(line.LastIndexOf(' ') + 1)..];
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    max = Math.Max(max, (int)v);
                }
            }
        }

        return max;
    }

    private static double Gap(Random rng, double rate) => -Math.Log(1 - rng.NextDouble()) / rate;
}
