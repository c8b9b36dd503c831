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
    public async Task DataPath_Quick_WritesAddedLatencyBesideDirect()
    {
        if (await RowsUnlessSkippedAsync("datapath") is not { } rows)
        {
            return;
        }

        Assert.Contains(rows, r => (string?)r["protocol"] == "http");
        Assert.Contains(rows, r => (string?)r["protocol"] == "https");
        AssertEveryRowHas(rows, "added_p50_ms", "added_p99_ms", "direct_p50_ms", "direct_p99_ms");

        Assert.Contains(rows, r => r["max_rps"] is not null && r["direct_max_rps"] is not null);
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

    private async Task<JsonObject> RunScenarioAsync(string scenario)
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
            await process.WaitForExitAsync().WaitAsync(RunTimeout);
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
    private static (string Dll, string Configuration) LocateTool()
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
