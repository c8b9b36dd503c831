using System.Diagnostics;
using System.Text.Json.Nodes;

namespace PatternOne.Tests.Benchmarks;

/// <summary>
/// Runs each benchmark scenario of PatternOne.Benchmarks in --quick mode (the built dll, as CI would) and checks that
/// it ran and wrote its files, with summary.json carrying the fields the README and dashboards read. Speed is not
/// asserted: that is what the benchmarks themselves are for.
/// </summary>
[Collection(BenchmarkToolCollection.Name)]
public sealed class BenchmarkToolSmokeTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private readonly string _out = Path.Combine(Path.GetTempPath(), "patternone-bench-smoke-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_out, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [Fact]
    public async Task Scheduling_Quick_WritesEveryPolicyAndQpsWithQualityFields()
    {
        var scenario = await RunScenarioAsync("scheduling");

        var rows = Rows(scenario);
        Assert.NotEmpty(rows);
        foreach (var field in new[] { "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p90_ms", "output_tokens_per_s", "prefix_hit_rate", "max_queue" })
        {
            Assert.All(rows, r => Assert.NotNull(r[field]));
        }

        // The fields README and dashboards read, with the three policies the targets compare.
        foreach (var field in new[] { "workload", "replicas", "policy", "qps", "kv_tokens_per_replica" })
        {
            Assert.All(rows, r => Assert.NotNull(r[field]));
        }

        var policies = rows.Select(r => (string?)r["policy"] ?? "").Distinct().ToArray();
        Assert.Contains("default", policies);
        Assert.Contains("round-robin", policies);
        Assert.Contains("least-queue", policies);
        Assert.Equal(["prefix-affinity", "low-cache", "prefix-affinity-kv-constrained"], rows.Select(r => (string?)r["workload"] ?? "").Distinct().ToArray());

        // The main sweep's replicas get the KV cache vLLM would size on the seed's TPU v6e 2x2 (~1.59 M tokens), recorded
        // in the parameters; the labelled KV-constrained variant keeps the shrunken 4,096-block cache.
        var kvTokens = (long?)scenario["parameters"]?["kv_tokens_per_replica"];
        Assert.NotNull(kvTokens);
        Assert.InRange(kvTokens.Value, 1_000_000, 2_000_000);
        Assert.All(rows.Where(r => (string?)r["workload"] == "prefix-affinity"), r => Assert.Equal(kvTokens, (long?)r["kv_tokens_per_replica"]));
        Assert.All(rows.Where(r => (string?)r["workload"] == "prefix-affinity-kv-constrained"), r => Assert.Equal(65_520, (long?)r["kv_tokens_per_replica"]));
        Assert.Contains("simulated (virtual time)", (string?)scenario["parameters"]?["time_base"], StringComparison.Ordinal);
        Assert.All(rows, r => Assert.InRange((double)r["prefix_hit_rate"]!, 0, 1));

        // No scheduler can beat the ceiling: a system prompt seen for the first time cannot be in any cache.
        Assert.All(rows, r => Assert.InRange((double)r["prefix_hit_rate"]!, 0, (double)r["prefix_hit_rate_ceiling"]! + 0.001));
        Assert.All(rows, r => Assert.True((double)r["output_tokens_per_s"]! > 0));
        Assert.NotEmpty(Directory.GetFiles(_out, "scheduling-*.svg"));
        Assert.Contains("<svg", File.ReadAllText(Directory.GetFiles(_out, "scheduling-*ttft*.svg")[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HotPaths_Quick_WritesABenchmarkDotNetRowPerCase()
    {
        var scenario = await RunScenarioAsync("hotpaths");

        var rows = Rows(scenario);
        Assert.NotEmpty(rows);
        Assert.Contains(rows, r => (string?)r["class"] == "PrefixIndexBenchmarks");
        Assert.All(rows, r => Assert.NotNull(r["mean_us"]));
    }

    [Fact]
    public async Task DataPath_Quick_WritesAddedLatencyBesideDirect_ByBothEstimators_AndAnAOnA()
    {
        var scenario = await RunScenarioAsync("datapath");
        if ((bool?)scenario["skipped"] == true)
        {
            Assert.Contains(scenario["notes"]!.AsArray(), n => ((string?)n ?? "").Contains("Skipped", StringComparison.Ordinal));
            return;
        }

        var rows = Rows(scenario);
        var paths = rows.Where(r => r["comparison"] is null).ToList();
        Assert.Contains(paths, r => (string?)r["protocol"] == "http");
        Assert.Contains(paths, r => (string?)r["protocol"] == "https");
        AssertEveryRowHas(paths, "added_p50_ms", "added_p99_ms", "direct_p50_ms", "direct_p99_ms");
        Assert.Contains(paths, r => r["max_rps"] is not null && r["direct_max_rps"] is not null);

        // The paired estimator on every comparison, A/A rows included (the same path twice in a round: at least direct).
        var aa = rows.Where(r => r["comparison"] is not null).ToList();
        Assert.Contains(aa, r => (string?)r["comparison"] == "A/A: direct (A/A) vs direct");
        var estimates = new[] { "paired_p50", "paired_p99", "shift_p50", "shift_p99" };
        AssertEveryRowHas(rows, [.. estimates.SelectMany(e => new[] { e + "_ms", e + "_ci_low_ms", e + "_ci_high_ms" }), "pairs"]);
        Assert.All(rows, r => Assert.All(estimates, e => Assert.True((double)r[e + "_ci_low_ms"]! <= (double)r[e + "_ci_high_ms"]!, e)));

        // --quick is one round: with no failed request every request is in a pair, and the shift of a percentile over the
        // pairs is exactly the first estimator's difference of that round's percentiles (the same samples).
        Assert.Equal(1, (int?)scenario["parameters"]?["rounds"]);
        foreach (var row in rows.Where(r => (int)r["errors"]! == 0))
        {
            Assert.Equal((int)row["samples_per_run"]!, (int)row["pairs"]!);
            Assert.Equal((double)row["added_p50_ms"]!, (double)row["shift_p50_ms"]!, 6);
            Assert.Equal((double)row["added_p99_ms"]!, (double)row["shift_p99_ms"]!, 6);
        }

        // The realistic targets are judged on the paired estimates, each shown with its interval.
        var targets = scenario["targets"]!.AsArray().Select(t => t!.AsObject()).Where(t => ((string)t["name"]!).Contains("realistic", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, targets.Count);
        Assert.All(targets, t => Assert.Contains("95% CI", (string)t["measured"]!, StringComparison.Ordinal));
        var http = paths.Single(r => (string?)r["replica"] == "realistic" && (string?)r["protocol"] == "http");
        Assert.Equal((double)http["paired_p50_ms"]! <= 1.0, (bool?)targets.Single(t => ((string)t["name"]!).StartsWith("added p50", StringComparison.Ordinal) && ((string)t["name"]!).EndsWith("HTTP", StringComparison.Ordinal))["met"]);
    }

    [Fact]
    public async Task EndToEnd_Quick_WritesQualityFieldsFromTheRealProcesses()
    {
        if (await RowsUnlessSkippedAsync("e2e") is not { } rows)
        {
            return;
        }

        Assert.NotEmpty(rows);
        AssertEveryRowHas(rows, "ttft_p50_ms", "ttft_p90_ms", "itl_p50_ms", "output_tokens_per_s", "prefix_hit_rate", "max_queue");
    }

    [Fact]
    public async Task Reliability_Quick_JudgesEveryFaultFromWhatItMeasured()
    {
        // Two AppHost starts and every fault's recovery: about 2 minutes alone, 6 at a load average of 100.
        var scenario = await RunScenarioAsync("reliability", TimeSpan.FromMinutes(12));

        var rows = Rows(scenario);
        var phases = rows.Where(r => (string?)r["row"] == "phase").ToList();
        Assert.Equal(
            ["FailClose/warm-up", "FailClose/scheduler SIGKILL", "FailOpen/warm-up", "FailOpen/replica SIGKILL", "FailOpen/scheduler SIGKILL",
             "FailOpen/replica SIGSTOP", "FailOpen/4 × 15 MiB prompts", "FailOpen/soak warm-up", "FailOpen/soak"],
            phases.Select(r => $"{r["failure_mode"]}/{r["phase"]}").ToArray());
        AssertEveryRowHas(phases, "requests", "ok", "failed", "failed_non_streaming", "error_event", "http_503", "http_400", "reset", "timeout", "max_wait_s");

        // Load ran through every phase, and the outcome counts add up to the requests.
        Assert.All(phases, r => Assert.True((int)r["requests"]! > 0, $"{r["phase"]}: no requests"));
        var kinds = new[] { "error_event", "http_503", "http_400", "http_429", "http_other", "reset", "truncated", "timeout" };
        Assert.All(phases, r => Assert.Equal((int)r["failed"]!, kinds.Sum(k => (int)r[k]!)));
        Assert.All(phases, r => Assert.Equal((int)r["requests"]!, (int)r["ok"]! + (int)r["failed"]!));

        // The AppHost itself brought every killed service back (a new process), and the time to recover was measured.
        foreach (var killed in phases.Where(r => ((string?)r["phase"])!.EndsWith("SIGKILL", StringComparison.Ordinal)))
        {
            Assert.True((int)killed["restarts_by_apphost"]! >= 1, $"{killed["phase"]}: not restarted by the AppHost");
            Assert.NotEqual((int)killed["killed_pid"]!, (int?)killed["new_pid"]);
            Assert.NotNull(killed["recover_s"]);
        }

        // RSS sampled for gateway, scheduler and every replica, and plotted.
        var memory = rows.Where(r => (string?)r["row"] == "memory" && (string?)r["failure_mode"] == "FailOpen").Select(r => (string?)r["service"]).ToArray();
        Assert.Contains("gateway", memory);
        Assert.Contains("scheduler", memory);
        Assert.Contains("qwen2-3b-pattern1-0", memory);
        Assert.Contains("<polyline", File.ReadAllText(Path.Combine(_out, "reliability-failopen-rss.svg")), StringComparison.Ordinal);

        // Every judgement is there and follows from the measured rows (timings are not asserted).
        var targets = scenario["targets"]!.AsArray().Select(t => t!.AsObject()).ToDictionary(t => (string)t["name"]!);
        var open = phases.Single(r => (string?)r["failure_mode"] == "FailOpen" && (string?)r["phase"] == "scheduler SIGKILL");
        Assert.Equal((int)open["failed"]! == 0, (bool?)targets["scheduler SIGKILL, FailOpen"]["met"]);
        var kill = phases.Single(r => (string?)r["phase"] == "replica SIGKILL");
        Assert.Equal((int)kill["failed_non_streaming"]! == 0, (bool?)targets["replica SIGKILL: non-streaming requests"]["met"]);
        Assert.Equal((double)kill["recover_s"]! <= 30, (bool?)targets["replica SIGKILL: replica back (AppHost: restarted and healthy)"]["met"]);
        var soakFailed = phases.Where(r => ((string?)r["phase"])!.StartsWith("soak", StringComparison.Ordinal)).Sum(r => (int)r["failed"]!);
        Assert.Equal(soakFailed == 0, (bool?)targets.Single(t => t.Key.StartsWith("soak", StringComparison.Ordinal) && t.Key.EndsWith("requests", StringComparison.Ordinal)).Value["met"]);

        // The soak is judged for the shipped processes against their published memory limits, from the readings after the
        // full collections induced at the window's start and end; the line through RSS is reported beside them.
        var judged = rows.Where(r => (string?)r["row"] == "memory" && (string?)r["failure_mode"] == "FailOpen" && r["limit_mb"] is not null).ToList();
        Assert.Equal(["gateway", "scheduler"], judged.Select(r => (string)r["service"]!).Order().ToArray());
        AssertEveryRowHas(judged, "soak_slope_mb_per_h", "soak_anon_slope_mb_per_h", "soak_file_slope_mb_per_h", "soak_shmem_slope_mb_per_h", "soak_start_mb",
            "line_within_limit", "after_gc_start_rss_mb", "after_gc_end_rss_mb", "after_gc_start_heap_mb", "after_gc_end_heap_mb", "after_gc_rss_growth_mb_per_h",
            "after_gc_heap_growth_mb_per_h");
        Assert.Equal([1024.0, 512.0], judged.OrderBy(r => (string?)r["service"]).Select(r => (double)r["limit_mb"]!).ToArray());
        Assert.All(judged, r => Assert.True((double)r["after_gc_end_heap_mb"]! > 0, $"{r["service"]}: no heap size after the induced collection"));
        foreach (var row in judged)
        {
            // A week at the faster growth against the headroom left (rounded figures: away from the boundary only).
            var growth = Math.Max((double)row["after_gc_rss_growth_mb_per_h"]!, (double)row["after_gc_heap_growth_mb_per_h"]!);
            var margin = ((double)row["limit_mb"]! - (double)row["after_gc_end_rss_mb"]!) - (growth * 24 * 7);
            if (Math.Abs(margin) > 1)
            {
                Assert.Equal(margin > 0, (bool?)row["soak_within_limit"]);
            }
        }

        Assert.Equal(judged.All(r => (bool?)r["soak_within_limit"] == true), (bool?)targets["soak: RSS slope"]["met"]);
        var huge = phases.Single(r => (string?)r["phase"] == "4 × 15 MiB prompts");
        Assert.Equal((bool?)huge["all_400"], (bool?)targets["4 concurrent 15 MiB prompts"]["met"]);
        Assert.Contains(targets.Keys, k => k.StartsWith("replica SIGSTOP", StringComparison.Ordinal));
        Assert.Contains("scheduler SIGKILL, FailClose", targets.Keys);
        Assert.Contains("soak: RSS slope", targets.Keys);

        // The soak's stack ran a bounded prefix index; whether it was at its bound through the measured window is judged
        // from the scheduler's own indexer size, and the default index's full size was measured at autoTune's capacity.
        var soak = phases.Single(r => (string?)r["phase"] == "soak");
        var bound = (long)scenario["parameters"]!["soak_prefix_index_capacity_per_replica"]! * (int)scenario["parameters"]!["replicas"]!;
        Assert.Equal((long?)soak["prefix_index_blocks_start"] == bound && (long?)soak["prefix_index_blocks_end"] == bound,
            (bool?)targets["soak: scheduler's prefix index at its bound through the measured window"]["met"]);
        var index = rows.Single(r => (string?)r["row"] == "prefix_index");
        Assert.Equal((long)index["capacity_per_replica"]! * (int)index["replicas"]!, (long)index["blocks"]!);
        Assert.True((double)index["live_mb"]! > 0, "the full default index measured no live bytes");
        Assert.Contains("default prefix index, full: fits the scheduler's memory limit", targets.Keys);
    }

    /// <summary>
    /// Runs a scenario that starts the services: its rows, or null when it was skipped — only when they are not built,
    /// and then its notes must say why.
    /// </summary>
    private async Task<List<JsonObject>?> RowsUnlessSkippedAsync(string name)
    {
        var scenario = await RunScenarioAsync(name);
        if ((bool?)scenario["skipped"] != true)
        {
            return Rows(scenario);
        }

        Assert.Contains(scenario["notes"]!.AsArray(), n => ((string?)n ?? "").Contains("Skipped", StringComparison.Ordinal));
        return null;
    }

    private static void AssertEveryRowHas(List<JsonObject> rows, params string[] fields)
    {
        foreach (var field in fields)
        {
            Assert.All(rows, r => Assert.NotNull(r[field]));
        }
    }

    private async Task<JsonObject> RunScenarioAsync(string scenario, TimeSpan? timeout = null)
    {
        var (dll, configuration) = LocateTool();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, scenario, "--quick", "--out", _out, "--configuration", configuration })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout ?? RunTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{scenario} exited with {process.ExitCode}:\n{output}");
        foreach (var file in new[] { "summary.json", scenario + ".md", scenario + ".csv", "README.md" })
        {
            Assert.True(File.Exists(Path.Combine(_out, file)), $"{file} missing after {scenario}:\n{output}");
        }

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")))!.AsObject();
        Assert.Equal("patternone-benchmarks/1", (string?)summary["schema"]);
        Assert.NotNull(summary["machine"]?["nproc"]);
        var result = summary["scenarios"]?[scenario]?.AsObject();
        Assert.NotNull(result);
        Assert.True((bool?)result["quick"]);
        return result;
    }

    private static List<JsonObject> Rows(JsonObject scenario) => scenario["rows"]!.AsArray().Select(r => r!.AsObject()).ToList();

    /// <summary>The tool's dll beside this test assembly's configuration: &lt;repo&gt;/PatternOne.Benchmarks/bin/&lt;cfg&gt;/net10.0.</summary>
    internal static (string Dll, string Configuration) LocateTool()
    {
        var baseDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var parts = baseDir.Split(Path.DirectorySeparatorChar);
        var bin = Array.LastIndexOf(parts, "bin");
        var configuration = bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Release";
        var dir = new DirectoryInfo(baseDir);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PatternOne.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var dll = Path.Combine(dir.FullName, "PatternOne.Benchmarks", "bin", configuration, "net10.0", "PatternOne.Benchmarks.dll");
        Assert.True(File.Exists(dll), $"benchmark tool not built: {dll}");
        return (dll, configuration);
    }
}

/// <summary>The smoke runs share two cores with everything else: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchmarkToolCollection
{
    public const string Name = "benchmark-tool";
}
