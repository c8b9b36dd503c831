using System.Diagnostics;
using System.Globalization;
using PatternOne.Benchmarks.Reliability;
using Xunit.Abstractions;

namespace PatternOne.Tests.Benchmarks;

/// <summary>
/// The soak's leak check (two readings after induced full collections, <see cref="FullGcProbe"/> and
/// <see cref="LeakCheck"/>) measured on a real process, the benchmark tool's <c>leak-check-target</c>: one that keeps
/// memory for good must fail it, one that only makes garbage that dies in gen 2 must pass. The criterion is the soak's
/// (growth × horizon ≤ headroom), with 128 MiB of headroom and the horizon scaled to the test's seconds-long window
/// instead of the soak's 7 days for 30 minutes.
/// </summary>
[Collection(BenchmarkToolCollection.Name)]
public sealed class LeakCheckTests(ITestOutputHelper output)
{
    private const double HeadroomMb = 128;
    private const int HorizonPerWindow = 10;
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan WindowTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task AProcessThatKeepsMemory_FailsTheCheck()
    {
        await using var target = await Target.StartAsync(holdKibPerSecond: 4096, garbageKibPerSecond: 0);
        var (start, end, verdict) = await MeasureAsync(target, until: (heldKib: 32 * 1024, garbageKib: 0));

        output.WriteLine(Describe(start, end, verdict));
        Assert.False(verdict.WithinLimit, Describe(start, end, verdict));
        // The heap reading sees what was kept: 32 MiB and more between the readings.
        Assert.True(end.HeapMb - start.HeapMb >= 32 * 0.9, Describe(start, end, verdict));
    }

    [Fact]
    public async Task AProcessThatOnlyMakesGarbage_PassesTheCheck()
    {
        await using var target = await Target.StartAsync(holdKibPerSecond: 0, garbageKibPerSecond: 16 * 1024);
        var (start, end, verdict) = await MeasureAsync(target, until: (heldKib: 0, garbageKib: 256 * 1024));

        output.WriteLine(Describe(start, end, verdict));
        Assert.True(verdict.WithinLimit, Describe(start, end, verdict));
        Assert.Equal(0, target.HeldKib);
    }

    private static async Task<(AfterFullGc Start, AfterFullGc End, LeakVerdict Verdict)> MeasureAsync(Target target, (long heldKib, long garbageKib) until)
    {
        // The garbage lives two seconds: the first reading waits until the target makes and drops it at a steady rate,
        // or the garbage still alive at the second reading would count as growth.
        await Eventually.HoldsAsync(() => target.GarbageKib >= 4 * target.GarbageKibPerSecond, WindowTimeout, "the target's garbage reached its steady state");
        var clock = Stopwatch.StartNew();
        var start = await FullGcProbe.CollectAsync(target.Pid, clock.Elapsed.TotalSeconds, CollectTimeout, CancellationToken.None);
        var (held0, garbage0) = (target.HeldKib, target.GarbageKib);
        await Eventually.HoldsAsync(() => target.HeldKib - held0 >= until.heldKib && target.GarbageKib - garbage0 >= until.garbageKib, WindowTimeout,
            $"the target kept {until.heldKib} KiB more and made {until.garbageKib} KiB of garbage");
        var end = await FullGcProbe.CollectAsync(target.Pid, clock.Elapsed.TotalSeconds, CollectTimeout, CancellationToken.None);
        Assert.True(end.GcNumber > start.GcNumber);
        var window = TimeSpan.FromSeconds(end.AtS - start.AtS);
        return (start, end, LeakCheck.Judge(start, end, end.RssMb + HeadroomMb, window * HorizonPerWindow));
    }

    private static string Describe(AfterFullGc start, AfterFullGc end, LeakVerdict verdict) => string.Create(CultureInfo.InvariantCulture,
        $"after full GCs: RSS {start.RssMb:F1} → {end.RssMb:F1} MiB, heap {start.HeapMb:F1} → {end.HeapMb:F1} MiB over {end.AtS - start.AtS:F1} s; growth RSS {verdict.RssGrowthMbPerHour:F0}, heap {verdict.HeapGrowthMbPerHour:F0} MiB/h");

    /// <summary>The benchmark tool's leak-check-target process, its progress read from its output.</summary>
    private sealed class Target : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task _reading;
        private long _heldKib;
        private long _garbageKib;
        private volatile bool _ready;

        private Target(Process process, int garbageKibPerSecond)
        {
            _process = process;
            GarbageKibPerSecond = garbageKibPerSecond;
            _reading = Task.Run(ReadAsync);
        }

        public int Pid => _process.Id;
        public int GarbageKibPerSecond { get; }
        public long HeldKib => Interlocked.Read(ref _heldKib);
        public long GarbageKib => Interlocked.Read(ref _garbageKib);

        public static async Task<Target> StartAsync(int holdKibPerSecond, int garbageKibPerSecond)
        {
            var (dll, _) = BenchmarkToolSmokeTests.LocateTool();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { dll, LeakCheckTarget.Command, "--hold-kib-per-s", holdKibPerSecond.ToString(CultureInfo.InvariantCulture),
                "--garbage-kib-per-s", garbageKibPerSecond.ToString(CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(a);
            }

            var target = new Target(Process.Start(info)!, garbageKibPerSecond);
            // The first progress line comes after "ready": the runtime is up and its diagnostics port listens.
            await Eventually.HoldsAsync(() => target._ready, TestTimeouts.Start, "the leak-check target is running");
            return target;
        }

        private async Task ReadAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                // "held_kib 123 garbage_kib 456"
                var parts = line.Split(' ');
                if (parts is ["held_kib", var held, "garbage_kib", var garbage])
                {
                    Interlocked.Exchange(ref _heldKib, long.Parse(held, CultureInfo.InvariantCulture));
                    Interlocked.Exchange(ref _garbageKib, long.Parse(garbage, CultureInfo.InvariantCulture));
                    _ready = true;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            // Closing its input ends the target; kill it if it does not go.
            _process.StandardInput.Close();
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _reading;
            _process.Dispose();
        }
    }
}
