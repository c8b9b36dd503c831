using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PatternOne.Benchmarks.Hosting;

namespace PatternOne.Benchmarks.Reliability;

/// <summary>One stretch of a run on the load's clock; a fault phase also has when the fault hit and when the AppHost had the service back.</summary>
public sealed record PhaseRecord(string FailureMode, string Name, double FromS, double ToS)
{
    public double? FaultAtS { get; init; }

    /// <summary>When the fault ended: the AppHost reports the service restarted and healthy, or the process was continued. Null: not back in time.</summary>
    public double? BackAtS { get; init; }

    /// <summary>What only this fault measures (pids, RSS, statuses of its own requests).</summary>
    public JsonObject Extra { get; init; } = [];
}

/// <summary>
/// Faults injected into a running <see cref="AppHostStack"/> while <see cref="SteadyLoad"/> keeps going; each method
/// records its phase. The holds between steps are the experiment's schedule (lead-in, fault, settle), measured on the
/// load's clock; every wait for a state (a restart, health) waits on the AppHost's resource notifications.
/// </summary>
public sealed class FaultRun(AppHostStack stack, SteadyLoad load, RssSampler rss, string failureMode)
{
    /// <summary>Upper bound for the AppHost to bring a killed service back before the phase is recorded as not recovered.</summary>
    public static readonly TimeSpan RecoverTimeout = TimeSpan.FromMinutes(2);

    public List<PhaseRecord> Phases { get; } = [];

    public string FailureMode => failureMode;

    public async Task HoldAsync(string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        var from = load.Now;
        await Task.Delay(duration, cancellationToken);
        Phases.Add(new PhaseRecord(failureMode, name, from, load.Now));
    }

    /// <summary>Upper bound for an induced full collection in a service to end (its heap is tens of MiB; the machine may be loaded).</summary>
    public static readonly TimeSpan FullGcTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Readings of the shipped services right after full collections induced at the soak window's start and end.</summary>
    public List<(string Service, AfterFullGc Reading)> AfterFullGcReadings { get; } = [];

    /// <summary>
    /// The soak's measured window. It records the blocks in the scheduler's prefix index at its start and end (a soak can
    /// tell a leak from a cache that is still filling only when the cache is already at its bound as the window opens),
    /// and the gateway's and scheduler's memory right after a full collection induced at its start and at its end
    /// (<see cref="FullGcProbe"/>): what they hold, without the garbage that a line through RSS also measures.
    /// </summary>
    public async Task HoldMeasuringSoakAsync(string name, TimeSpan duration, IReadOnlyList<string> shipped, CancellationToken cancellationToken)
    {
        await CollectFullyAsync(shipped, cancellationToken);
        var atStart = await stack.PrefixIndexBlocksAsync(load.Client, cancellationToken);
        await HoldAsync(name, duration, cancellationToken);
        var extra = Phases[^1].Extra;
        extra["prefix_index_blocks_start"] = atStart;
        extra["prefix_index_blocks_end"] = await stack.PrefixIndexBlocksAsync(load.Client, cancellationToken);
        await CollectFullyAsync(shipped, cancellationToken);
    }

    private async Task CollectFullyAsync(IReadOnlyList<string> services, CancellationToken cancellationToken)
    {
        foreach (var service in services)
        {
            if (stack.ServicePid(service) is { } pid)
            {
                AfterFullGcReadings.Add((service, await FullGcProbe.CollectAsync(pid, load.Now, FullGcTimeout, cancellationToken)));
            }
        }
    }

    /// <summary>SIGKILL of a service process (null: the busiest replica); the AppHost's recovery must bring it back.</summary>
    public async Task KillAsync(string name, string? resource, TimeSpan leadIn, TimeSpan settle, CancellationToken cancellationToken)
    {
        var from = load.Now;
        await Task.Delay(leadIn, cancellationToken);
        resource ??= await BusiestReplicaAsync(cancellationToken);
        var restarts = stack.Restarts(resource);
        var faultAt = load.Now;
        var pid = stack.Signal(resource, PosixSignal.Kill);
        double? backAt = null;
        try
        {
            await stack.WaitRestartedAndHealthyAsync(resource, restarts, RecoverTimeout, cancellationToken);
            backAt = load.Now;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not back within RecoverTimeout: recorded as such (BackAtS null).
        }

        await Task.Delay(settle, cancellationToken);
        Phases.Add(new PhaseRecord(failureMode, name, from, load.Now)
        {
            FaultAtS = faultAt,
            BackAtS = backAt,
            Extra = new JsonObject
            {
                ["resource"] = resource,
                ["killed_pid"] = pid,
                ["new_pid"] = stack.ServicePid(resource),
                ["restarts_by_apphost"] = stack.Restarts(resource) - restarts,
            },
        });
    }

    /// <summary>SIGSTOP of the busiest replica for <paramref name="stopFor"/>, then SIGCONT: a hung process, not a dead one.</summary>
    public async Task StopAsync(string name, TimeSpan stopFor, TimeSpan leadIn, TimeSpan settle, CancellationToken cancellationToken)
    {
        var from = load.Now;
        await Task.Delay(leadIn, cancellationToken);
        var resource = await BusiestReplicaAsync(cancellationToken);
        var faultAt = load.Now;
        var pid = stack.Signal(resource, PosixSignal.Stop);
        try
        {
            await Task.Delay(stopFor, cancellationToken);
        }
        finally
        {
            stack.Signal(resource, PosixSignal.Cont);
        }

        var backAt = load.Now;
        await Task.Delay(settle, cancellationToken);
        Phases.Add(new PhaseRecord(failureMode, name, from, load.Now)
        {
            FaultAtS = faultAt,
            BackAtS = backAt,
            Extra = new JsonObject { ["resource"] = resource, ["stopped_pid"] = pid, ["stopped_s"] = Math.Round(backAt - faultAt, 1) },
        });
    }

    /// <summary>
    /// <paramref name="count"/> concurrent chat prompts of <paramref name="bytes"/> each (far past the model's context),
    /// then <paramref name="idle"/> under the steady load, and the scheduler's RSS before, at peak and after.
    /// </summary>
    public async Task HugePromptsAsync(string name, int count, int bytes, TimeSpan leadIn, TimeSpan idle, CancellationToken cancellationToken)
    {
        var from = load.Now;
        await Task.Delay(leadIn, cancellationToken);
        rss.SampleNow(stack, load.Now);
        var baseline = LatestRss(AppHostStack.SchedulerResource);
        var faultAt = load.Now;
        var prompt = HugeText(bytes);
        var statuses = await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            var body = new JsonObject
            {
                ["model"] = LocalCluster.Model,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = i.ToString(CultureInfo.InvariantCulture) + prompt }),
                ["max_tokens"] = 8,
            };
            try
            {
                using var response = await load.Client.PostAsJsonAsync(stack.GatewayUri("v1/chat/completions"), body, cancellationToken);
                return (int)response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        }, cancellationToken)));
        var answeredAt = load.Now;
        await Task.Delay(idle, cancellationToken);
        rss.SampleNow(stack, load.Now);
        var after = LatestRss(AppHostStack.SchedulerResource);
        var peak = rss.Samples.Where(s => s.Service == AppHostStack.SchedulerResource && s.AtS >= faultAt).Select(s => s.RssMb).DefaultIfEmpty(double.NaN).Max();
        Phases.Add(new PhaseRecord(failureMode, name, from, load.Now)
        {
            FaultAtS = faultAt,
            Extra = new JsonObject
            {
                ["prompt_bytes"] = bytes,
                ["answered_after_s"] = Math.Round(answeredAt - faultAt, 1),
                ["statuses"] = string.Join(' ', statuses.Select(s => s.ToString(CultureInfo.InvariantCulture))),
                ["all_400"] = statuses.All(s => s == 400),
                ["scheduler_rss_baseline_mb"] = Math.Round(baseline, 1),
                ["scheduler_rss_peak_mb"] = Math.Round(peak, 1),
                ["scheduler_rss_after_idle_mb"] = Math.Round(after, 1),
                ["idle_s"] = idle.TotalSeconds,
            },
        });
    }

    /// <summary>A replica's KV cache as it reports it (what the scheduler's autoTune sizes the default index from).</summary>
    public Task<(long Blocks, int BlockSize)?> ReplicaKvCacheAsync(CancellationToken cancellationToken) => stack.ReplicaKvCacheAsync(load.Client, cancellationToken);

    private Task<string> BusiestReplicaAsync(CancellationToken cancellationToken) => stack.BusiestReplicaAsync(load.Client, cancellationToken);

    private double LatestRss(string service) =>
        rss.Samples.LastOrDefault(s => s.Service == service)?.RssMb ?? double.NaN;

    /// <summary>Ordinary words (the tokenizer's worst case is one endless word; vLLM's 400 must come either way).</summary>
    private static string HugeText(int bytes)
    {
        const string Words = "the quick brown fox jumps over the lazy dog ";
        return string.Concat(Enumerable.Repeat(Words, (bytes / Words.Length) + 1))[..bytes];
    }
}
