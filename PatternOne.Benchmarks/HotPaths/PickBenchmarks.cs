using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using PatternOne.Scheduler.ExtProc;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using static PatternOne.Benchmarks.HotPaths.HotPathInputs;

namespace PatternOne.Benchmarks.HotPaths;

/// <summary>
/// One scheduling decision with a 16 KB chat prompt (256 prefix blocks), against a warm prefix index, for 8 and 64
/// endpoints (and 256, added by the benchmarks owner for issue 7). <c>load-only</c> is the pipeline without the prefix plugin (saturation filter, queue and KV scorers,
/// max-score picker), <c>default</c> adds the prefix-cache scorer — the pair upstream quotes as ~0.2 ms base and
/// ~0.3 ms for the prefix plugin (GIE PR #768). <see cref="ParseAndPick"/> adds what the ext_proc service does first:
/// reading model and messages from the 16 KB JSON body.
/// </summary>
[MemoryDiagnoser]
public class PickBenchmarks : WarmIndexBenchmark
{
    private IScheduler _scheduler = null!;
    private SchedulingRequest _request = null!;
    private ReadOnlySequence<byte> _body;

    [Params(BuiltInProfiles.LoadOnly, BuiltInProfiles.Default)]
    public string Profile { get; set; } = BuiltInProfiles.Default;

    [GlobalSetup]
    public void Setup()
    {
        var time = new FixedTimeProvider(new DateTimeOffset(2026, 11, 27, 3, 0, 0, TimeSpan.Zero));
        var random = new Random(42);
        _scheduler = SchedulerFactory.Create(Profile, new SchedulerEnvironment { TimeProvider = time, Random = random });
        CreatePool(i => new EndpointSnapshot
        {
            Address = EndpointAddress(i),
            WaitingRequests = i % 4,
            RunningRequests = 8 + (i % 5),
            KvCacheUsage = 0.1 + (i % 7) * 0.05,
            MetricsUpdatedAt = time.GetUtcNow(),
        });

        // Warm index: distinct 16 KB conversations on every endpoint; the measured one is held by one endpoint.
        WarmUp(address => _scheduler.RecordServed(Request(RandomText(random, PromptChars - 200), "warm-up question"), address));
        var system = RandomText(random, PromptChars - 200);
        _request = Request(system, "What does the contract say about termination?");
        _scheduler.RecordServed(_request, Pool[HolderIndex].Address);
        _body = new ReadOnlySequence<byte>(JsonSerializer.SerializeToUtf8Bytes(new
        {
            model = Model,
            stream = true,
            messages = new[] { new { role = "system", content = system }, new { role = "user", content = "What does the contract say about termination?" } },
        }));
    }

    [Benchmark]
    public SchedulingResult Pick() => _scheduler.Pick(_request, Pool);

    [Benchmark]
    public SchedulingResult ParseAndPick()
    {
        InferenceRequestParser.TryParse(_body, out var parsed, out _);
        return _scheduler.Pick(new SchedulingRequest { Model = parsed.Model, Prompt = parsed.Prompt }, Pool);
    }

    private static SchedulingRequest Request(string system, string question) => new()
    {
        Model = Model,
        Prompt = PromptRenderer.RenderChat([("system", system), ("user", question)]),
    };

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
