using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reporting;
using PatternOne.Scheduler.Profiles;
using PatternOne.VllmSimulator.Engine;
using Spectre.Console;

namespace PatternOne.Benchmarks.Scheduling;

/// <summary>
/// Scheduling quality in virtual time: the simulator's engine × N replicas, the real scheduler profiles picking, a
/// shared-prefix workload shaped like GAIE's high-cache benchmark plus the low-cache control, Poisson arrivals on a
/// QPS ramp to saturation. Every (workload, replicas, QPS) point sees the same arrivals under every policy.
/// </summary>
public sealed class SchedulingScenario : IScenario
{
    public string Name => "scheduling";

    public static readonly IReadOnlyList<string> Policies =
        [BuiltInProfiles.Random, BuiltInProfiles.RoundRobin, BuiltInProfiles.LeastQueue, BuiltInProfiles.PrefixOnly, BuiltInProfiles.Default, ProfileCatalog.DefaultNoShedding];

    /// <summary>Sizes of a run.</summary>
    public sealed record Plan
    {
        public required int[] Replicas { get; init; }

        /// <summary>Groups per replica (so the prefixes need the same share of the pool at 4 and 8 replicas).</summary>
        public required int GroupsPerReplica { get; init; }
        public required int PromptsPerGroup { get; init; }
        public required int LongTokens { get; init; }
        public required int ShortTokens { get; init; }
        public required int OutputTokens { get; init; }
        public required double[] QpsPerReplica { get; init; }
        public required TimeSpan Window { get; init; }
        public required TimeSpan Warmup { get; init; }
        public required EngineOptions Engine { get; init; }
    }

    public static Plan FullPlan { get; } = new()
    {
        Replicas = [4, 8],
        GroupsPerReplica = 16,
        PromptsPerGroup = 16,
        LongTokens = 2048,
        ShortTokens = 256,
        OutputTokens = 256,
        QpsPerReplica = [2, 4, 6, 8, 10, 12, 15],
        Window = TimeSpan.FromSeconds(40),
        Warmup = TimeSpan.FromSeconds(10),
        Engine = new EngineOptions { MaxModelLen = 4096 },
    };

    public static Plan QuickPlan { get; } = new()
    {
        Replicas = [4],
        GroupsPerReplica = 4,
        PromptsPerGroup = 4,
        LongTokens = 512,
        ShortTokens = 64,
        OutputTokens = 32,
        QpsPerReplica = [4, 16],
        Window = TimeSpan.FromSeconds(8),
        Warmup = TimeSpan.FromSeconds(2),
        Engine = new EngineOptions { MaxModelLen = 2048, NumGpuBlocks = 512 },
    };

    public async Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var plan = context.Quick ? QuickPlan : FullPlan;
        var o = context.Options;
        plan = plan with
        {
            Replicas = o.Replicas ?? plan.Replicas,
            QpsPerReplica = o.QpsPerReplica ?? plan.QpsPerReplica,
            Window = o.WindowSeconds is { } w ? TimeSpan.FromSeconds(w) : plan.Window,
            Warmup = o.WindowSeconds is { } w2 ? TimeSpan.FromSeconds(w2 / 4) : plan.Warmup,
        };
        var report = new ScenarioReport(Name, "Scheduling quality in virtual time (simulator engines × real scheduler profiles)");
        var p = report.Parameters;
        p["replicas"] = string.Join("/", plan.Replicas);
        p["groups"] = $"{plan.GroupsPerReplica} per replica";
        p["prompts_per_group"] = plan.PromptsPerGroup;
        p["high_cache"] = $"system {plan.LongTokens}, question {plan.ShortTokens}, output {plan.OutputTokens} tokens";
        p["low_cache"] = $"system {plan.ShortTokens}, question {plan.LongTokens}, output {plan.OutputTokens} tokens";
        p["kv_pool_tokens_per_replica"] = plan.Engine.KvCapacityTokens;
        p["window_s"] = plan.Window.TotalSeconds;
        p["warmup_s"] = plan.Warmup.TotalSeconds;
        p["step_model"] = $"{plan.Engine.StepTime.BaseMs} ms + {plan.Engine.StepTime.PrefillMsPerToken} ms/prefill token + {plan.Engine.StepTime.DecodeMsPerSeq} ms/decode seq";
        p["max_num_seqs"] = plan.Engine.MaxNumSeqs;
        p["max_num_batched_tokens"] = plan.Engine.MaxNumBatchedTokens;

        var points = new List<PointSpec>();
        foreach (var replicas in plan.Replicas)
        {
            var groups = plan.GroupsPerReplica * replicas;
            foreach (var workload in new[]
            {
                new SharedPrefixWorkload("high-cache", groups, plan.PromptsPerGroup, plan.LongTokens, plan.ShortTokens, plan.OutputTokens),
                new SharedPrefixWorkload("low-cache", groups, plan.PromptsPerGroup, plan.ShortTokens, plan.LongTokens, plan.OutputTokens),
            })
            {
                var prompts = workload.Build(StableSeed.Of(context.Options.Seed, workload.Name, replicas));
                foreach (var qpr in plan.QpsPerReplica)
                {
                    foreach (var policy in Policies)
                    {
                        points.Add(new PointSpec
                        {
                            Workload = workload,
                            Prompts = prompts,
                            Replicas = replicas,
                            Policy = policy,
                            Qps = qpr * replicas,
                            ArrivalWindow = plan.Window,
                            Warmup = plan.Warmup,
                            Engine = plan.Engine,
                            Seed = context.Options.Seed,
                        });
                    }
                }
            }
        }

        var results = new ConcurrentDictionary<PointSpec, PointResult>();
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
        {
            var task = ctx.AddTask($"{points.Count} points (workload × replicas × QPS × policy)", maxValue: points.Count);

            // Points are independent simulations; run as many at once as there are cores. Heaviest first.
            await Parallel.ForEachAsync(points.OrderByDescending(x => x.Qps), new ParallelOptions
            {
                MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount),
                CancellationToken = cancellationToken,
            }, (point, ct) =>
            {
                results[point] = VirtualTimeRun.Run(point, ct);
                task.Increment(1);
                return ValueTask.CompletedTask;
            });
        });

        foreach (var point in points)
        {
            var r = results[point];
            report.Rows.Add(new JsonObject
            {
                ["workload"] = point.Workload.Name,
                ["replicas"] = point.Replicas,
                ["policy"] = point.Policy,
                ["qps"] = point.Qps,
                ["ttft_p50_ms"] = Stats.Round(r.TtftP50Ms, 1),
                ["ttft_p90_ms"] = Stats.Round(r.TtftP90Ms, 1),
                ["ttft_p99_ms"] = Stats.Round(r.TtftP99Ms, 1),
                ["itl_p50_ms"] = Stats.Round(r.ItlP50Ms, 2),
                ["itl_p90_ms"] = Stats.Round(r.ItlP90Ms, 2),
                ["output_tokens_per_s"] = Math.Round(r.OutputTokensPerS),
                ["prefix_hit_rate"] = Stats.Round(r.PrefixHitRate, 3),
                ["max_queue"] = r.MaxQueue,
                ["requests"] = r.Requests,
                ["measured"] = r.Measured,
                ["rejections_429"] = r.Rejections,
                ["preemptions"] = r.Preemptions,
            });
        }

        var columns = new[] { "qps", "policy", "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p90_ms", "output_tokens_per_s", "prefix_hit_rate", "max_queue", "rejections_429" };
        foreach (var replicas in plan.Replicas)
        {
            foreach (var workload in new[] { "high-cache", "low-cache" })
            {
                report.Tables.Add(new TableView($"{workload}, {replicas} replicas", columns,
                    r => (string?)r["workload"] == workload && (int?)r["replicas"] == replicas));
                AddCharts(report, workload, replicas);
            }
        }

        SchedulingTargets.Evaluate(report, plan);
        report.Notes.Add("TTFT is measured from the request's first arrival: a request rejected with 429 (only profiles with a saturation detector reject) retries after 1 s and keeps its original arrival time.");
        report.Notes.Add("The scheduler sees engine gauges as a scrape would (snapshots every 50 ms of virtual time, judged stale after 200 ms) plus its own exact in-flight counts; the snapshot can lead real time by at most one engine step.");
        report.Notes.Add("ITL pools every 4th inter-token gap of every measured request; output tokens/s counts tokens leaving in the measured part of the arrival window; prefix hit rate = cached prompt tokens ÷ prompt tokens (vLLM's counters).");
        return report;
    }

    private static void AddCharts(ScenarioReport report, string workload, int replicas)
    {
        var rows = report.Rows.Where(r => (string?)r["workload"] == workload && (int?)r["replicas"] == replicas).ToList();
        var ttft = new LineChart($"scheduling-{workload}-{replicas}r-ttft-p90.svg", $"p90 TTFT vs QPS — {workload}, {replicas} replicas", "QPS", "p90 TTFT (ms, log)")
        {
            LogY = true,
            Reference = (2000, "2 s"),
        };
        var hit = new LineChart($"scheduling-{workload}-{replicas}r-hit-rate.svg", $"Prefix-cache hit rate vs QPS — {workload}, {replicas} replicas", "QPS", "hit rate")
        {
            Reference = workload == "high-cache" ? (0.8, "80% target") : null,
        };
        var tput = new LineChart($"scheduling-{workload}-{replicas}r-throughput.svg", $"Output tokens/s vs QPS — {workload}, {replicas} replicas", "QPS", "output tokens/s");
        foreach (var policy in Policies)
        {
            var mine = rows.Where(r => (string?)r["policy"] == policy).ToList();
            ttft.Add(policy, mine.Select(r => ((double)r["qps"]!, (double)r["ttft_p90_ms"]!)));
            hit.Add(policy, mine.Select(r => ((double)r["qps"]!, (double)r["prefix_hit_rate"]!)));
            tput.Add(policy, mine.Select(r => ((double)r["qps"]!, (double)r["output_tokens_per_s"]!)));
        }

        report.Charts.Add(ttft);
        report.Charts.Add(hit);
        report.Charts.Add(tput);
    }

    internal static string Ms(double ms) => ms >= 1000
        ? (ms / 1000).ToString("0.##", CultureInfo.InvariantCulture) + " s"
        : ms.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
