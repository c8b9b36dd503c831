using System.Globalization;
using System.Text.Json.Nodes;
using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Hosting;
using PatternOne.Benchmarks.Reporting;
using k8s.Models;
using PatternOne.AppHost.Publishing.Manifests;
using PatternOne.Gateway;
using Spectre.Console;

namespace PatternOne.Benchmarks.Reliability;

/// <summary>
/// Faults under steady load, on the stack the AppHost runs (its local recovery is part of what is measured): replica
/// SIGKILL, scheduler SIGKILL under FailClose and FailOpen, a replica SIGSTOPped for a while, four concurrent 15 MiB
/// prompts, then a soak. Every request is classified by how it ended; RSS of every service is sampled from /proc.
/// Each of issue 15's "what it must show" items is judged from those measurements.
/// </summary>
public sealed class ReliabilityScenario : IScenario
{
    public string Name => "reliability";

    // SoakWarmup: load before the soak's measured window, left out of its slope (the heap, the JIT's tiers and the pools settle first).
    // SoakIndexCapacity: the FailOpen stack's prefix-index bound per replica (SoakPrefixIndex), small enough that the
    // load (one or two new blocks per request) fills it before the measured window opens.
    private sealed record Plan(int Replicas, double Rate, TimeSpan Warmup, TimeSpan LeadIn, TimeSpan Settle, TimeSpan StopFor, TimeSpan HugePromptIdle,
        TimeSpan SoakWarmup, TimeSpan Soak, TimeSpan SampleEvery, int SoakIndexCapacity);

    private static readonly Plan Full = new(3, 20, Warmup: TimeSpan.FromSeconds(20), LeadIn: TimeSpan.FromSeconds(3), Settle: TimeSpan.FromSeconds(10),
        StopFor: TimeSpan.FromSeconds(20), HugePromptIdle: TimeSpan.FromSeconds(30), SoakWarmup: TimeSpan.FromMinutes(5), Soak: TimeSpan.FromMinutes(30),
        SampleEvery: TimeSpan.FromSeconds(5), SoakIndexCapacity: 512);

    private static readonly Plan Quick = new(2, 8, Warmup: TimeSpan.FromSeconds(3), LeadIn: TimeSpan.FromSeconds(1), Settle: TimeSpan.FromSeconds(2),
        StopFor: TimeSpan.FromSeconds(12), HugePromptIdle: TimeSpan.FromSeconds(3), SoakWarmup: TimeSpan.FromSeconds(3), Soak: TimeSpan.FromSeconds(10),
        SampleEvery: TimeSpan.FromSeconds(1), SoakIndexCapacity: 8);

    private const string SoakWarmupPhase = "soak warm-up";
    private const string HugePromptsPhase = "4 × 15 MiB prompts";
    private const string SoakPhase = "soak";
    private const string SigstopPhase = "replica SIGSTOP";

    // Fixed, not taken from the run: the hung limit promises when the request leaves the frozen replica; the retry to the
    // next one and the client's reading of it take milliseconds on an idle machine, and must not stretch with load.
    private static readonly TimeSpan MoveAllowance = TimeSpan.FromSeconds(0.5);

    private const double StreamingShare = 0.5;
    private const int HugePrompts = 4;
    private const int HugePromptBytes = 15 * 1024 * 1024;
    private const double RssAllowanceMb = 64;
    private const double BackWithinS = 30;

    /// <summary>
    /// What "RSS slope ~0" is taken to mean: at the slope fitted over the soak's measured window, the process would not
    /// reach its published container memory limit within this long from where the soak left it (a pod OOM-killed between
    /// two ordinary weekly rollouts would be a leak that matters; anything slower cannot be told from the allocator
    /// settling in half an hour — run <c>--only soak --soak-minutes N</c> for longer).
    /// </summary>
    private static readonly TimeSpan SoakHorizon = TimeSpan.FromDays(7);

    /// <summary>Published container memory limits (MiB) of the processes we ship; the replicas stand in for vLLM and are reported, not judged.</summary>
    private static readonly Dictionary<string, double> MemoryLimitsMb = new(StringComparer.Ordinal)
    {
        [AppHostStack.GatewayResource] = new ResourceQuantity(ContainerMemoryLimits.Gateway).ToInt64() / (1024.0 * 1024),
        [AppHostStack.SchedulerResource] = new ResourceQuantity(ContainerMemoryLimits.Scheduler).ToInt64() / (1024.0 * 1024),
    };

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(2);

    public async Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var plan = context.Quick ? Quick : Full;
        var options = context.Options;
        plan = plan with
        {
            Soak = options.SoakMinutes is { } soak ? TimeSpan.FromMinutes(soak) : plan.Soak,
            SoakWarmup = options.SoakWarmupMinutes is { } warmup ? TimeSpan.FromMinutes(warmup) : plan.SoakWarmup,
        };
        // --only soak: one FailOpen stack, warm-up and soak; --only prompts,soak: the 15 MiB prompts before them; --only sigstop: warm-up and the SIGSTOP.
        var soakOnly = options.Only is BenchmarkOptions.OnlySoak or BenchmarkOptions.OnlyPromptsAndSoak;
        var sigstopOnly = options.Only == BenchmarkOptions.OnlySigstop;
        var hugePrompts = options.Only is null or BenchmarkOptions.OnlyPromptsAndSoak;
        var report = new ScenarioReport(Name, "Reliability under faults: the AppHost's stack under steady load, requests classified, time to recover, RSS over time");
        if (!OperatingSystem.IsLinux())
        {
            report.Skipped = true;
            report.Notes.Add("Skipped: faults are POSIX signals to the service processes and RSS is read from /proc (Linux only).");
            return report;
        }

        var forwarding = new GatewayForwardingOptions();
        var hungLimit = forwarding.HealthCheckInterval + forwarding.UnresponsiveAfter;
        Describe(report.Parameters, plan, forwarding);
        report.Parameters["only"] = options.Only;
        report.Parameters["soak_prefix_index_capacity_per_replica"] = plan.SoakIndexCapacity;

        var runs = new List<(FaultRun Run, IReadOnlyList<RequestOutcome> Outcomes, IReadOnlyList<RssSample> Rss)>();
        (long Blocks, int BlockSize)? replicaKv = null;
        await AnsiConsole.Status().StartAsync("reliability", async status =>
        {
            if (options.Only is null)
            {
                runs.Add(await RunStackAsync(context, plan, "FailClose", status, async (run, ct) =>
                {
                    await run.HoldAsync("warm-up", plan.Warmup, ct);
                    await run.KillAsync("scheduler SIGKILL", AppHostStack.SchedulerResource, plan.LeadIn, plan.Settle, ct);
                }, cancellationToken));
            }

            runs.Add(await RunStackAsync(context, plan, "FailOpen", status, async (run, ct) =>
            {
                await run.HoldAsync("warm-up", plan.Warmup, ct);
                if (sigstopOnly)
                {
                    await run.StopAsync(SigstopPhase, plan.StopFor, plan.LeadIn, plan.Settle, ct);
                    return;
                }

                if (!soakOnly)
                {
                    await run.KillAsync("replica SIGKILL", resource: null, plan.LeadIn, plan.Settle, ct);
                    await run.KillAsync("scheduler SIGKILL", AppHostStack.SchedulerResource, plan.LeadIn, plan.Settle, ct);
                    await run.StopAsync(SigstopPhase, plan.StopFor, plan.LeadIn, plan.Settle, ct);
                }

                if (hugePrompts)
                {
                    await run.HugePromptsAsync(HugePromptsPhase, HugePrompts, HugePromptBytes, plan.LeadIn, plan.HugePromptIdle, ct);
                }

                await run.HoldAsync(SoakWarmupPhase, plan.SoakWarmup, ct);
                await run.HoldMeasuringSoakAsync(SoakPhase, plan.Soak, [.. MemoryLimitsMb.Keys], ct);
                replicaKv = await run.ReplicaKvCacheAsync(ct);
            }, cancellationToken, SoakPrefixIndex.SchedulerConfig(plan.SoakIndexCapacity)));
        });

        if (replicaKv is { } kv)
        {
            // After the stacks, in this process: nothing else runs, and the two full collections it takes disturb nobody.
            var full = SoakPrefixIndex.MeasureFull(kv.Blocks, kv.BlockSize, plan.Replicas);
            report.Rows.Add(new JsonObject
            {
                ["row"] = "prefix_index",
                ["replica_kv_blocks"] = kv.Blocks,
                ["replica_kv_block_tokens"] = kv.BlockSize,
                ["capacity_per_replica"] = full.CapacityPerReplica,
                ["replicas"] = full.Replicas,
                ["blocks"] = full.Blocks,
                ["live_mb"] = Math.Round(full.MiB, 1),
                ["bytes_per_block"] = Math.Round(full.BytesPerBlock, 1),
            });
        }

        var phases = runs.SelectMany(r => r.Run.Phases.Select(p => (Phase: p, Row: PhaseRow(p, r.Outcomes)))).ToList();
        report.Rows.AddRange(phases.Select(p => p.Row));
        foreach (var (run, _, rss) in runs)
        {
            report.Rows.AddRange(MemoryRows(run, rss));
            report.Charts.Add(RssChart(run, rss));
        }

        Judge(report, phases, runs.Select(r => (r.Run.FailureMode, r.Outcomes)).ToList(), hungLimit);
        JudgePrefixIndex(report, phases, plan);
        report.Tables.Add(new TableView("Requests by phase (seconds on the load's clock; waits from each request's scheduled start)",
            ["failure_mode", "phase", "from_s", "fault_at_s", "recover_s", "requests", "ok", "failed", "failed_non_streaming", "error_event", "http_503", "http_400",
             "http_429", "http_other", "reset", "truncated", "timeout", "max_wait_s", "p99_wait_s", "max_before_answer_s", "max_held_after_fault_s"], r => (string?)r["row"] == "phase"));
        report.Tables.Add(new TableView("The first failure of each phase, as the client saw it",
            ["failure_mode", "phase", "resource", "first_failure"], r => r["first_failure"] is not null));
        report.Tables.Add(new TableView("RSS of every service (MiB, from /proc; soak slopes fitted over the measured window, warm-up excluded; after_gc: right after the full collections induced at the window's start and end)",
            ["failure_mode", "service", "first_mb", "peak_mb", "soak_start_mb", "last_mb", "soak_slope_mb_per_h", "soak_anon_slope_mb_per_h", "soak_file_slope_mb_per_h",
             "soak_shmem_slope_mb_per_h", "after_gc_start_rss_mb", "after_gc_end_rss_mb", "after_gc_rss_growth_mb_per_h", "after_gc_start_heap_mb", "after_gc_end_heap_mb",
             "after_gc_heap_growth_mb_per_h", "limit_mb", "days_to_limit", "line_days_to_limit"], r => (string?)r["row"] == "memory"));
        report.Notes.Add("The stack is the AppHost's (Aspire.Hosting.Testing's DistributedApplicationTestingBuilder over PatternOne.AppHost: the orchestrator runs every service as `dotnet run`, on ports it picks, so --ports does not apply to it). Faults go to the service process under each resource's launcher (PatternOne.AppHost/Recovery/ServiceProcess.cs); the restarts are the AppHost's own local recovery.");
        report.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"The FailOpen stack's scheduler runs the default profile with one change: its prefix index is bounded at {plan.SoakIndexCapacity} blocks per replica (autoTune off) instead of the ~100k autoTune gives for the simulator's TPU-sized KV cache, which this load would take hours to fill. The load fills the small bound before the soak's measured window opens, so the window's slope shows whatever else grows; the scheduler's indexer size at the window's start and end is checked against the bound. The default bound is judged apart: a full default index (autoTune's capacity for the replicas' reported KV cache, distinct blocks) is built in this tool's process and its live size measured with two full collections. The FailClose stack runs the default profile unchanged."));
        report.Notes.Add("Load: open-loop at a fixed rate through the gateway's HTTP listener, half streaming, retries off, one request per arrival; each outcome is classified by what the client saw. A request belongs to the phase in which it was scheduled to start.");
        report.Notes.Add("max_held_after_fault_s: for each request of a fault phase, from the fault (or the request's scheduled start, if later) until the gateway sent it to the replica that answered it — the response headers' arrival minus the gateway's `x-envoy-upstream-service-time` (Envoy's header: that attempt's time to headers) — or until a cut stream's error event, or the end of any other failure; the phase's longest. It leaves out the answering replica's own service time, which depends on the machine's load, and is what the SIGSTOP target judges. max_before_answer_s: the same from each request's own start, in every phase; in a phase without a fault it is how long the client, the gateway and the picker themselves take before a replica has the request on this machine at this load.");
        if (runs.SelectMany(r => r.Run.Phases).FirstOrDefault(p => p.Name == SoakPhase) is { } measured)
        {
            report.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"Soak: {plan.SoakWarmup.TotalMinutes:0.#} min of warm-up load (\"{SoakWarmupPhase}\", {(soakOnly ? "after the stack's start-up and a short warm-up" : "after the fault phases, themselves under the same load")}) are left out; the RSS slope is a least-squares line through every sample of the measured window ({measured.FromS:F0}–{measured.ToS:F0} s, {(measured.ToS - measured.FromS) / 60:F0} min, one sample per {plan.SampleEvery.TotalSeconds:0.#} s), in MiB per hour, for the total and for its anonymous (GC heap, native allocations, stacks), file-backed (mapped assemblies) and shared (the runtime's double-mapped JIT code) parts. " +
                $"Judged for the processes we ship against their published container memory limits, on what they hold rather than on that line: at the window's start and end a full blocking collection is induced in the gateway and the scheduler through the runtime's diagnostics port (an EventPipe session with the GCHeapCollect keyword, as dotnet-gcdump does), and RSS and the GC heap are read right after it ended; at the faster of their two growths per hour, the process must not reach its limit within {SoakHorizon.TotalDays:F0} days from the second reading. A leak shows in both readings; the GC's gen-2 cycle (garbage waiting for the next background collection) shows only in the line, which is reported beside them — and, since the window opens right after a full collection, is biased upward. Replicas stand in for vLLM (its container has its own limit) and are reported only."));
        }

        report.Notes.Add("Phases and faults on the RSS plots' time axis: " + string.Join("; ", phases.Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{p.Phase.FailureMode} {p.Phase.Name} {p.Phase.FromS:F0}–{p.Phase.ToS:F0} s{(p.Phase.FaultAtS is { } f ? $" (fault at {f:F1} s)" : "")}"))) + ".");
        return report;
    }

    private static void Describe(JsonObject p, Plan plan, GatewayForwardingOptions forwarding)
    {
        p["replicas"] = plan.Replicas;
        p["rate_rps"] = plan.Rate;
        p["streaming_share"] = StreamingShare;
        p["max_tokens"] = SteadyLoad.MaxTokens;
        p["client"] = $"HTTP/1.1 to the gateway, retries off, timeout {RequestTimeout.TotalSeconds:F0} s";
        p["sigstop_s"] = plan.StopFor.TotalSeconds;
        p["soak_warmup_s"] = plan.SoakWarmup.TotalSeconds;
        p["soak_s"] = plan.Soak.TotalSeconds;
        p["rss_sample_interval_s"] = plan.SampleEvery.TotalSeconds;
        p["gateway_unresponsive_after_s"] = forwarding.UnresponsiveAfter.TotalSeconds;
        p["gateway_health_check_interval_s"] = forwarding.HealthCheckInterval.TotalSeconds;
        p["gateway_headers_timeout_s"] = forwarding.HeadersTimeout.TotalSeconds;
        p["time_base"] = "measured (real time); the simulator at the AppHost's default time scale";
    }

    private static async Task<(FaultRun, IReadOnlyList<RequestOutcome>, IReadOnlyList<RssSample>)> RunStackAsync(
        RunContext context, Plan plan, string failureMode, StatusContext status, Func<FaultRun, CancellationToken, Task> faults, CancellationToken cancellationToken,
        string? schedulerConfig = null)
    {
        status.Status($"{failureMode}: starting the AppHost ({plan.Replicas} replicas)");
        await using var stack = await AppHostStack.StartAsync(plan.Replicas, failureMode, StartTimeout, cancellationToken, schedulerConfig);
        var load = SteadyLoad.Start(stack.GatewayUri("v1/chat/completions"), plan.Rate, StreamingShare, context.NewRandom(failureMode.Length), RequestTimeout);
        FaultRun run;
        RssSampler rss;
        await using (load)
        {
            rss = RssSampler.Start(stack, () => load.Now, plan.SampleEvery);
            await using (rss)
            {
                run = new FaultRun(stack, load, rss, failureMode);
                status.Status($"{failureMode}: faults under {plan.Rate} req/s");
                await faults(run, cancellationToken);
            }
        }

        return (run, load.Outcomes, rss.Samples);
    }

    private static JsonObject PhaseRow(PhaseRecord phase, IReadOnlyList<RequestOutcome> outcomes)
    {
        var mine = outcomes.Where(o => o.StartS >= phase.FromS && o.StartS < phase.ToS).ToList();
        var waits = mine.Where(o => o.Kind != Outcome.Timeout).Select(o => o.WaitS).ToArray();
        var row = new JsonObject
        {
            ["row"] = "phase",
            ["failure_mode"] = phase.FailureMode,
            ["phase"] = phase.Name,
            ["from_s"] = Math.Round(phase.FromS, 1),
            ["to_s"] = Math.Round(phase.ToS, 1),
            ["fault_at_s"] = phase.FaultAtS is { } f ? Math.Round(f, 1) : null,
            ["recover_s"] = phase is { FaultAtS: { } at, BackAtS: { } back } ? Math.Round(back - at, 1) : null,
            ["requests"] = mine.Count,
            ["streaming"] = mine.Count(o => o.Streaming),
            ["ok"] = mine.Count(o => !o.Failed),
            ["failed"] = mine.Count(o => o.Failed),
            ["failed_non_streaming"] = mine.Count(o => o.Failed && !o.Streaming),
            ["max_wait_s"] = Stats.Round(waits.DefaultIfEmpty(double.NaN).Max(), 2),
            ["p99_wait_s"] = Stats.Round(Stats.Percentile(waits, 99), 2),
        };
        // The same measure from each request's own start, in every phase: with no fault it is the machine's and the
        // stack's own delay before a replica takes a request (client, gateway, picker), the baseline for the one below.
        row["max_before_answer_s"] = Stats.Round(mine.Select(o => o.HeldUntilS - o.StartS).DefaultIfEmpty(0).Max(), 2);
        if (phase.FaultAtS is { } fault)
        {
            // From the fault (or the request's start, if later) until a replica that answers had it, or the gateway gave
            // up on it: what a hung replica costs a request, without the answering replica's own service time.
            row["max_held_after_fault_s"] = Stats.Round(mine.Select(o => o.HeldUntilS - Math.Max(o.StartS, fault)).DefaultIfEmpty(0).Max(), 2);
        }

        foreach (var kind in Enum.GetValues<Outcome>().Where(k => k != Outcome.Ok))
        {
            row[KindName(kind)] = mine.Count(o => o.Kind == kind);
        }

        if (mine.FirstOrDefault(o => o.Failed) is { } first)
        {
            row["first_failure"] = $"{KindName(first.Kind)} ({first.Detail})";
        }

        foreach (var (key, value) in phase.Extra)
        {
            row[key] = value?.DeepClone();
        }

        return row;
    }

    /// <summary>snake_case of an outcome (<c>Http503</c> → <c>http_503</c>, <c>ErrorEvent</c> → <c>error_event</c>).</summary>
    public static string KindName(Outcome kind) => kind switch
    {
        Outcome.Http503 => "http_503",
        Outcome.Http400 => "http_400",
        Outcome.Http429 => "http_429",
        Outcome.HttpOther => "http_other",
        Outcome.ErrorEvent => "error_event",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static IEnumerable<JsonObject> MemoryRows(FaultRun run, IReadOnlyList<RssSample> rss)
    {
        var soak = run.Phases.FirstOrDefault(p => p.Name == SoakPhase);
        foreach (var service in rss.Select(s => s.Service).Distinct())
        {
            var mine = rss.Where(s => s.Service == service).ToList();
            var row = new JsonObject
            {
                ["row"] = "memory",
                ["failure_mode"] = run.FailureMode,
                ["service"] = service,
                ["first_mb"] = Math.Round(mine[0].RssMb, 1),
                ["peak_mb"] = Math.Round(mine.Max(s => s.RssMb), 1),
                ["last_mb"] = Math.Round(mine[^1].RssMb, 1),
                ["processes"] = mine.Select(s => s.Pid).Distinct().Count(),
            };
            if (soak is not null)
            {
                // The measured window only: its warm-up phase, start-up and the faults' after-effects come before it.
                var window = mine.Where(s => s.AtS >= soak.FromS && s.AtS <= soak.ToS).ToList();
                double PerHour(Func<RssSample, double> part) => Slope(window.Select(s => (s.AtS, part(s))).ToList()) * 3600;
                var slope = PerHour(s => s.RssMb);
                row["soak_start_mb"] = window.Count > 0 ? Math.Round(window[0].RssMb, 1) : null;
                row["soak_slope_mb_per_h"] = Stats.Round(slope, 2);
                row["soak_anon_slope_mb_per_h"] = Stats.Round(PerHour(s => s.AnonMb), 2);
                row["soak_file_slope_mb_per_h"] = Stats.Round(PerHour(s => s.FileMb), 2);
                row["soak_shmem_slope_mb_per_h"] = Stats.Round(PerHour(s => s.ShmemMb), 2);
                row["soak_growth_mb"] = Stats.Round(slope * (soak.ToS - soak.FromS) / 3600, 1);
                if (MemoryLimitsMb.TryGetValue(service, out var limit) && window.Count > 0)
                {
                    // The line through RSS is reported beside the judged figures: it also measures where the window falls
                    // in the GC's gen-2 cycle (docs/soak-memory.md).
                    var headroom = limit - window[^1].RssMb;
                    row["limit_mb"] = limit;
                    row["line_days_to_limit"] = slope > 0 ? Stats.Round(headroom / slope / 24, 1) : null;
                    row["line_within_limit"] = slope * SoakHorizon.TotalHours <= headroom;
                    JudgeAfterFullGc(row, run.AfterFullGcReadings.Where(r => r.Service == service).Select(r => r.Reading).ToList(), limit);
                }
            }

            yield return row;
        }
    }

    /// <summary>
    /// The soak's judged figures for one shipped service: its RSS and GC heap right after the full collections induced at
    /// the window's start and end, their growth per hour, and whether the faster would reach the limit within the horizon.
    /// Missing readings or a restart in between fail the judgement rather than skip it.
    /// </summary>
    private static void JudgeAfterFullGc(JsonObject row, IReadOnlyList<AfterFullGc> readings, double limitMb)
    {
        if (readings.Count < 2 || readings[0].Pid != readings[^1].Pid)
        {
            row["after_gc_missing"] = readings.Count < 2 ? "no reading at the window's start and end" : "the service restarted during the window";
            row["soak_within_limit"] = false;
            return;
        }

        var (start, end) = (readings[0], readings[^1]);
        var verdict = LeakCheck.Judge(start, end, limitMb, SoakHorizon);
        row["after_gc_start_rss_mb"] = Math.Round(start.RssMb, 1);
        row["after_gc_end_rss_mb"] = Math.Round(end.RssMb, 1);
        row["after_gc_start_heap_mb"] = Math.Round(start.HeapMb, 1);
        row["after_gc_end_heap_mb"] = Math.Round(end.HeapMb, 1);
        row["after_gc_rss_growth_mb_per_h"] = Stats.Round(verdict.RssGrowthMbPerHour, 2);
        row["after_gc_heap_growth_mb_per_h"] = Stats.Round(verdict.HeapGrowthMbPerHour, 2);
        row["days_to_limit"] = verdict.DaysToLimit is { } days ? Stats.Round(days, 1) : null;
        row["soak_within_limit"] = verdict.WithinLimit;
    }

    /// <summary>Least-squares slope (MiB per second); NaN with fewer than 3 points.</summary>
    private static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 3)
        {
            return double.NaN;
        }

        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? double.NaN : points.Sum(p => (p.X - mx) * (p.Y - my)) / sxx;
    }

    private static LineChart RssChart(FaultRun run, IReadOnlyList<RssSample> rss)
    {
        var chart = new LineChart($"reliability-{run.FailureMode.ToLowerInvariant()}-rss.svg", $"RSS over time, {run.FailureMode} stack under faults", "seconds", "RSS (MiB)")
        {
            Markers = false,
        };
        foreach (var service in rss.Select(s => s.Service).Distinct())
        {
            chart.Add(service, rss.Where(s => s.Service == service).Select(s => (s.AtS, s.RssMb)));
        }

        return chart;
    }

    private static void Judge(ScenarioReport report, List<(PhaseRecord Phase, JsonObject Row)> phases, List<(string Mode, IReadOnlyList<RequestOutcome> Outcomes)> runs, TimeSpan hungLimit)
    {
        JsonObject? Row(string mode, string name) => phases.FirstOrDefault(p => p.Phase.FailureMode == mode && p.Phase.Name == name).Row;
        int Int(JsonObject? row, string key) => (int?)row?[key] ?? 0;
        var t = report.Targets;

        if (Row("FailOpen", "replica SIGKILL") is { } kill)
        {
            var failedNonStreaming = Int(kill, "failed_non_streaming");
            t.Add(new TargetCheck("replica SIGKILL: non-streaming requests", "0 failed", $"{failedNonStreaming} failed of {Int(kill, "requests") - Int(kill, "streaming")}", failedNonStreaming == 0));
            var cut = Int(kill, "error_event");
            var badStreams = Int(kill, "failed") - failedNonStreaming - cut;
            t.Add(new TargetCheck("replica SIGKILL: cut streams", "every cut stream ends with an error event", $"{cut} ended with the error event, {badStreams} failed otherwise",
                cut + badStreams == 0 ? null : badStreams == 0, cut + badStreams == 0 ? "no stream was in flight on the killed replica" : null));
            t.Add(BackWithin("replica SIGKILL: replica back (AppHost: restarted and healthy)", kill));
        }

        if (Row("FailOpen", "scheduler SIGKILL") is { } open)
        {
            t.Add(new TargetCheck("scheduler SIGKILL, FailOpen", "0 failed", $"{Int(open, "failed")} failed of {Int(open, "requests")}; scheduler back after {open["recover_s"]} s", Int(open, "failed") == 0));
        }

        if (phases.FirstOrDefault(p => p.Phase.FailureMode == "FailClose" && p.Phase.Name == "scheduler SIGKILL") is { Row: not null } close)
        {
            t.Add(FailCloseCheck(close.Phase, close.Row, runs.First(r => r.Mode == "FailClose").Outcomes));
        }

        if (Row("FailOpen", SigstopPhase) is { } stop)
        {
            var held = (double?)stop["max_held_after_fault_s"] ?? double.NaN;
            var limit = hungLimit + MoveAllowance;
            t.Add(new TargetCheck($"replica SIGSTOP {stop["stopped_s"]} s: longest wait for a replica that answers",
                $"≤ {limit.TotalSeconds:0.#} s after the freeze (gateway's HealthCheckInterval + UnresponsiveAfter = {hungLimit.TotalSeconds:0.#} s: a request on the frozen replica is moved, or its stream ended, by then; + {MoveAllowance.TotalSeconds:0.#} s for the move itself to reach the next replica and for the client's clock)",
                $"{held:F2} s (longest whole wait {stop["max_wait_s"]} s, p99 {stop["p99_wait_s"]} s)", held <= limit.TotalSeconds,
                Int(stop, "timeout") > 0 ? $"{Int(stop, "timeout")} timed out" : null));
            t.Add(new TargetCheck("replica SIGSTOP: non-streaming requests", "0 failed", $"{Int(stop, "failed_non_streaming")} failed of {Int(stop, "requests") - Int(stop, "streaming")}",
                Int(stop, "failed_non_streaming") == 0, $"streams: {Int(stop, "error_event")} ended with the error event, {Int(stop, "failed") - Int(stop, "failed_non_streaming") - Int(stop, "error_event")} otherwise"));
        }

        if (Row("FailOpen", HugePromptsPhase) is { } huge)
        {
            t.Add(new TargetCheck("4 concurrent 15 MiB prompts", "400 (context length) each", $"statuses {huge["statuses"]}", (bool?)huge["all_400"] == true));
            var baseline = (double?)huge["scheduler_rss_baseline_mb"] ?? double.NaN;
            var after = (double?)huge["scheduler_rss_after_idle_mb"] ?? double.NaN;
            t.Add(new TargetCheck($"scheduler RSS {huge["idle_s"]} s after the 15 MiB prompts", $"≤ baseline + {RssAllowanceMb:F0} MB",
                $"{after:F1} MB (baseline {baseline:F1}, peak {huge["scheduler_rss_peak_mb"]})", after <= baseline + RssAllowanceMb));
        }

        if (Row("FailOpen", SoakPhase) is { } soak)
        {
            var warm = Row("FailOpen", SoakWarmupPhase);
            var requests = Int(soak, "requests") + Int(warm, "requests");
            var failed = Int(soak, "failed") + Int(warm, "failed");
            t.Add(new TargetCheck($"soak {requests} requests", "0 failed, warm-up and measured window", $"{failed} failed", failed == 0));
            var judged = report.Rows.Where(r => (string?)r["row"] == "memory" && (string?)r["failure_mode"] == "FailOpen" && r["soak_within_limit"] is not null).ToList();
            var minutes = (soak["to_s"]!.GetValue<double>() - soak["from_s"]!.GetValue<double>()) / 60;
            var warmMinutes = warm is null ? 0 : (warm["to_s"]!.GetValue<double>() - warm["from_s"]!.GetValue<double>()) / 60;
            t.Add(new TargetCheck("soak: RSS slope",
                string.Create(CultureInfo.InvariantCulture, $"~0: RSS and GC heap right after full collections induced at the start and end of the {minutes:F0}-min window (after {warmMinutes:F0} min of warm-up); at the faster growth no shipped process reaches its container memory limit within {SoakHorizon.TotalDays:F0} days"),
                string.Join("; ", judged.Select(r => string.Create(CultureInfo.InvariantCulture,
                    $"{r["service"]} RSS {(double?)r["after_gc_rss_growth_mb_per_h"]:+0.00;-0.00} MB/h ({r["after_gc_start_rss_mb"]} → {r["after_gc_end_rss_mb"]}), heap {(double?)r["after_gc_heap_growth_mb_per_h"]:+0.00;-0.00} MB/h ({r["after_gc_start_heap_mb"]} → {r["after_gc_end_heap_mb"]}){(r["after_gc_missing"] is { } missing ? $", {missing}" : "")} (limit {r["limit_mb"]} MiB, {(r["days_to_limit"] is { } d ? $"{d} days to it" : "not growing")}); least-squares line through RSS {(double?)r["soak_slope_mb_per_h"]:+0.00;-0.00} MB/h (reported, not judged)"))),
                judged.Count > 0 && judged.All(r => (bool?)r["soak_within_limit"] == true)));
        }
    }

    /// <summary>
    /// The soak's two questions about the scheduler's prefix index: was the soak's small index at its bound through the
    /// measured window (else its slope still includes a cache filling), and does the default index, full, fit the
    /// scheduler's container limit on top of what the soak left (twice its live size: a gen-2 heap grows to about that
    /// between background collections).
    /// </summary>
    private static void JudgePrefixIndex(ScenarioReport report, List<(PhaseRecord Phase, JsonObject Row)> phases, Plan plan)
    {
        if (phases.FirstOrDefault(p => p.Phase.FailureMode == "FailOpen" && p.Phase.Name == SoakPhase).Row is not { } soak)
        {
            return;
        }

        var bound = (long)plan.SoakIndexCapacity * plan.Replicas;
        var start = (long?)soak["prefix_index_blocks_start"];
        var end = (long?)soak["prefix_index_blocks_end"];
        report.Targets.Add(new TargetCheck("soak: scheduler's prefix index at its bound through the measured window",
            string.Create(CultureInfo.InvariantCulture, $"{bound} blocks ({plan.SoakIndexCapacity} per replica × {plan.Replicas}) at the start and at the end"),
            $"{start?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} at the start, {end?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} at the end",
            start == bound && end == bound));

        var scheduler = report.Rows.FirstOrDefault(r => (string?)r["row"] == "memory" && (string?)r["failure_mode"] == "FailOpen" && (string?)r["service"] == AppHostStack.SchedulerResource);
        if (report.Rows.FirstOrDefault(r => (string?)r["row"] == "prefix_index") is not { } full || scheduler is null)
        {
            return;
        }

        var liveMb = (double)full["live_mb"]!;
        var lastMb = (double)scheduler["last_mb"]!;
        var limitMb = MemoryLimitsMb[AppHostStack.SchedulerResource];
        report.Targets.Add(new TargetCheck("default prefix index, full: fits the scheduler's memory limit",
            string.Create(CultureInfo.InvariantCulture, $"scheduler RSS at the soak's end + 2 × the full index's live size ≤ {limitMb:F0} MiB"),
            string.Create(CultureInfo.InvariantCulture,
                $"{lastMb:F1} + 2 × {liveMb:F1} = {lastMb + (2 * liveMb):F1} MiB (autoTune: {full["capacity_per_replica"]} blocks per replica from its KV cache of {full["replica_kv_blocks"]} × {full["replica_kv_block_tokens"]} tokens; {full["blocks"]} blocks, {full["bytes_per_block"]} bytes each, measured)"),
            lastMb + (2 * liveMb) <= limitMb));
    }

    private static TargetCheck BackWithin(string name, JsonObject row)
    {
        var recover = (double?)row["recover_s"];
        return new TargetCheck(name, $"≤ {BackWithinS:F0} s", recover is { } r ? $"{r:F1} s" : "not back", recover <= BackWithinS);
    }

    /// <summary>
    /// FailClose: every failure is an OpenAI-style 503, and once the gateway picks again (the first request after the
    /// first 503 that succeeds) none fails.
    /// </summary>
    private static TargetCheck FailCloseCheck(PhaseRecord phase, JsonObject row, IReadOnlyList<RequestOutcome> outcomes)
    {
        var mine = outcomes.Where(o => o.StartS >= phase.FromS && o.StartS < phase.ToS).OrderBy(o => o.StartS).ToList();
        var failures = mine.Where(o => o.Failed).ToList();
        var unclean = failures.Count(o => o.Kind != Outcome.Http503 || !o.OpenAiErrorBody);
        var firstFailure = failures.FirstOrDefault()?.StartS;
        var resumed = firstFailure is { } ff ? mine.FirstOrDefault(o => o.StartS > ff && !o.Failed)?.StartS : null;
        var afterResume = resumed is { } r ? failures.Count(o => o.StartS > r) : 0;
        row["failures_not_clean_503"] = unclean;
        row["gateway_picks_again_s"] = resumed is { } back && phase.FaultAtS is { } at ? Math.Round(back - at, 1) : null;
        row["failed_after_picking_resumed"] = afterResume;
        var met = failures.Count > 0 && unclean == 0 && resumed is not null && afterResume == 0;
        return new TargetCheck("scheduler SIGKILL, FailClose", "clean 503s only until it is back, then 0 failed",
            $"{failures.Count} failed ({failures.Count - unclean} clean 503), {unclean} otherwise; scheduler back after {row["recover_s"]} s, picking again after {row["gateway_picks_again_s"]} s; {afterResume} failed after that",
            failures.Count == 0 ? null : met, failures.Count == 0 ? "no request arrived while the scheduler was down" : null);
    }
}
