using Microsoft.Extensions.Time.Testing;
using PatternOne.Scheduler.Pickers;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Scheduling;

public class ProfileSchedulerTests
{
    private readonly FakeTimeProvider _time = new(Now);

    [Fact]
    public void Pick_WithNoEndpoints_ReportsNoEndpoints()
    {
        var result = Default().Pick(Request("hello"), []);

        Assert.Equal(SchedulingOutcome.NoEndpoints, result.Outcome);
        Assert.Empty(result.Endpoints);
    }

    [Fact]
    public void Pick_WhenAskedToExplain_ScoresEveryCandidatePerScorer_AndTheWinnerHasTheHighestTotal()
    {
        var result = Default().Pick(Request("hello") with { Explain = true }, Endpoints(3));

        Assert.Equal(3, result.Candidates.Count);
        Assert.All(result.Candidates, c =>
        {
            Assert.Equal(["queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer", "prefill-load-scorer"], c.Scores.Select(s => s.Scorer));
            Assert.All(c.Scores, s => Assert.InRange(s.Score, 0, 1));
            Assert.Equal(c.Scores.Sum(s => s.Score * s.Weight), c.Total, 9);
        });
        var winner = result.Candidates.Single(c => c.Address == result.Primary.Address);
        Assert.Equal(result.Candidates.Max(c => c.Total), winner.Total);
        Assert.Equal(result.Scores[0], winner.Total, 9);
    }

    [Fact]
    public void Pick_NotAskedToExplain_CarriesNoCandidates() =>
        Assert.Empty(Default().Pick(Request("hello"), Endpoints(3)).Candidates);

    [Fact]
    public void Pick_HonoursTheSubsetHint()
    {
        var endpoints = Endpoints(4);
        var request = Request("hello") with { CandidateSubset = ["10.0.0.3:8000"] };

        var result = Default().Pick(request, endpoints);

        Assert.Equal(SchedulingOutcome.Scheduled, result.Outcome);
        Assert.Equal(["10.0.0.3:8000"], result.Endpoints.Select(e => e.Address));
    }

    [Fact]
    public void Pick_WithASubsetOutsideThePool_ReportsNoEndpoints()
    {
        var request = Request("hello") with { CandidateSubset = ["192.168.9.9:8000"] };

        Assert.Equal(SchedulingOutcome.NoEndpoints, Default().Pick(request, Endpoints(2)).Outcome);
    }

    [Theory]
    [InlineData(6, 0.1)]
    [InlineData(0, 0.81)]
    public void Pick_SaturatedPool_RefusesOnlySheddableRequests(int waiting, double kv)
    {
        var endpoints = Enumerable.Range(1, 3).Select(i => Endpoint($"10.0.0.{i}:8000", waiting: waiting, kv: kv)).ToArray();
        var picker = Default();

        Assert.Equal(SchedulingOutcome.Saturated, picker.Pick(Request("hello") with { Priority = -1 }, endpoints).Outcome);
        Assert.Equal(SchedulingOutcome.Scheduled, picker.Pick(Request("hello"), endpoints).Outcome);
        Assert.Equal(SchedulingOutcome.Scheduled, picker.Pick(Request("hello") with { Priority = 10 }, endpoints).Outcome);
    }

    [Fact]
    public void Pick_FilterThatDropsEveryEndpoint_FailsOpenForNonSheddableRequests()
    {
        var picker = new ProfileScheduler("p", [new DropEverything()], [], new MaxScorePicker("max-score-picker", 1), admission: null,
            new SchedulerEnvironment { TimeProvider = _time, Random = new Random(1) });
        EndpointSnapshot[] endpoints = [Endpoint("a:1"), Endpoint("b:1")];

        Assert.Equal(SchedulingOutcome.Scheduled, picker.Pick(Request("x"), endpoints).Outcome);
        Assert.Equal(SchedulingOutcome.Saturated, picker.Pick(Request("x") with { Priority = -5 }, endpoints).Outcome);
    }

    [Fact]
    public void Pick_UtilizationFilter_KeepsEveryoneWhenAllAreSaturated()
    {
        EndpointSnapshot[] endpoints = [Endpoint("a:1", waiting: 9), Endpoint("b:1", kv: 0.95)];

        var result = Default().Pick(Request("x"), endpoints);

        Assert.Equal(["a:1", "b:1"], result.Endpoints.Select(e => e.Address).Order());
    }

    [Fact]
    public void Pick_StaleMetrics_AreIgnoredByDefault()
    {
        EndpointSnapshot[] endpoints = [Endpoint("a:1", updatedAt: Now.AddSeconds(-5)), new EndpointSnapshot { Address = "b:1" }];

        var result = Default().Pick(Request("hello") with { Priority = -1 }, endpoints);

        Assert.Equal(SchedulingOutcome.Scheduled, result.Outcome);
    }

    [Fact]
    public void Pick_StaleMetrics_CountAsSaturated_WithThePolicySaturated()
    {
        var picker = SchedulerFactory.FromYaml(BuiltInProfiles.GetYaml(BuiltInProfiles.Default).Replace("stalenessPolicy: ignore", "stalenessPolicy: saturated", StringComparison.Ordinal),
            new SchedulerEnvironment { TimeProvider = _time, Random = new Random(1) });
        EndpointSnapshot[] endpoints = [Endpoint("a:1", updatedAt: Now.AddMilliseconds(-201)), new EndpointSnapshot { Address = "b:1" }];

        Assert.Equal(SchedulingOutcome.Saturated, picker.Pick(Request("hello") with { Priority = -1 }, endpoints).Outcome);
        Assert.Equal(SchedulingOutcome.Scheduled, picker.Pick(Request("hello"), endpoints).Outcome);
    }

    [Fact]
    public void Pick_SkipsASaturatedEndpointWhileOthersHaveRoom()
    {
        var endpoints = new[]
        {
            Endpoint("10.0.0.1:8000", waiting: 6),
            Endpoint("10.0.0.2:8000", waiting: 3),
        };

        var result = Default().Pick(Request("hello"), endpoints);

        Assert.Equal(["10.0.0.2:8000"], result.Endpoints.Select(e => e.Address));
    }

    [Fact]
    public void Pick_PrefersEndpointHoldingPrefix()
    {
        var picker = Default();
        var endpoints = Endpoints(3);
        var prompt = Prompt(40);
        var first = picker.Pick(Request(prompt + "question one"), endpoints);

        var later = Enumerable.Range(0, 10).Select(i => picker.Pick(Request(prompt + $"question {i + 2}"), endpoints)).ToArray();

        Assert.All(later, result => Assert.Equal(first.Primary.Address, result.Primary.Address));
        Assert.All(later, result => Assert.Equal(40, result.PrefixMatchedBlocks));
        Assert.Equal(0, first.PrefixMatchedBlocks);
    }

    [Fact]
    public void Pick_MovesAwayFromTheFavouriteWhenItsQueueSaturates()
    {
        var picker = Default();
        var prompt = Prompt(40);
        var favourite = picker.Pick(Request(prompt), Endpoints(3)).Primary.Address;
        var loaded = Endpoints(3).Select(e => e.Address == favourite ? e with { WaitingRequests = 6 } : e).ToArray();

        var result = picker.Pick(Request(prompt), loaded);

        Assert.NotEqual(favourite, result.Primary.Address);
    }

    [Fact]
    public void Pick_SpreadsDistinctPromptsOverIdleEndpoints()
    {
        var picker = Default();
        var endpoints = Endpoints(3);

        var primaries = Enumerable.Range(0, 60).Select(i => picker.Pick(Request(Prompt(8, $"user{i}")), endpoints).Primary.Address).ToArray();

        Assert.Equal(3, primaries.Distinct().Count());
    }

    [Fact]
    public void Pick_ReturnsFallbacksAfterThePrimary()
    {
        var result = Default().Pick(Request("hello"), Endpoints(4));

        Assert.Equal(3, result.Endpoints.Count);
        Assert.Equal(3, result.Endpoints.Select(e => e.Address).Distinct().Count());
        Assert.Equal(string.Join(',', result.Endpoints.Select(e => e.Address)), result.DestinationValue);
    }

    [Fact]
    public void RecordServed_TeachesTheFallbackTheRequestsPrefix()
    {
        var (picker, endpoints, request, first) = PromptOf20BlocksPickedOnceAmongTwo();
        var fallback = endpoints.Single(e => e.Address != first.Primary.Address).Address;

        picker.RecordServed(request, fallback);
        picker.ForgetEndpoint(first.Primary.Address);
        var next = picker.Pick(request, endpoints);

        Assert.Equal(fallback, next.Primary.Address);
        Assert.Equal(20, next.PrefixMatchedBlocks);
    }

    [Fact]
    public void ForgetEndpoint_DropsItsPrefixAffinity()
    {
        var (picker, endpoints, request, first) = PromptOf20BlocksPickedOnceAmongTwo();

        picker.ForgetEndpoint(first.Primary.Address);
        var next = picker.Pick(request, [endpoints.Single(e => e.Address == first.Primary.Address)]);

        Assert.Equal(0, next.PrefixMatchedBlocks);
    }

    [Fact]
    public void Observer_ReceivesEveryPluginAndThePick()
    {
        var observer = new RecordingObserver();
        var picker = SchedulerFactory.Create(BuiltInProfiles.Default, new SchedulerEnvironment { TimeProvider = _time, Random = new Random(1), Observer = observer });

        picker.Pick(Request("hello"), Endpoints(2));

        Assert.Equal(
            ["Filter/utilization-detector", "Scorer/queue-scorer", "Scorer/kv-cache-utilization-scorer", "Scorer/prefix-cache-scorer", "Scorer/prefill-load-scorer", "Picker/max-score-picker"],
            observer.Plugins);
        Assert.Equal(1, observer.Picks);
    }

    [Theory]
    [InlineData("round-robin")]
    [InlineData("random")]
    [InlineData("least-queue")]
    [InlineData("prefix-only")]
    public void BaselineProfiles_NeverRejectAsSaturated(string profile)
    {
        var picker = SchedulerFactory.Create(profile, new SchedulerEnvironment { TimeProvider = _time, Random = new Random(1) });
        var stale = Endpoints(2).Select(e => e with { MetricsUpdatedAt = null, WaitingRequests = 50 }).ToArray();

        Assert.Equal(SchedulingOutcome.Scheduled, picker.Pick(Request("hello"), stale).Outcome);
    }

    [Fact]
    public void LeastQueueProfile_PicksTheShortestQueue()
    {
        var picker = SchedulerFactory.Create(BuiltInProfiles.LeastQueue, new SchedulerEnvironment { TimeProvider = _time, Random = new Random(1) });
        EndpointSnapshot[] endpoints = [Endpoint("a:1", waiting: 4), Endpoint("b:1", waiting: 1), Endpoint("c:1", waiting: 9)];

        Assert.Equal("b:1", picker.Pick(Request("x"), endpoints).Primary.Address);
    }

    /// <summary>The default profile has picked a 20-block prompt once among two endpoints (and so learnt its prefix there).</summary>
    private (IScheduler Picker, EndpointSnapshot[] Endpoints, SchedulingRequest Request, SchedulingResult First) PromptOf20BlocksPickedOnceAmongTwo()
    {
        var picker = Default();
        var endpoints = Endpoints(2);
        var request = Request(Prompt(20));
        return (picker, endpoints, request, picker.Pick(request, endpoints));
    }

    private IScheduler Default() =>
        SchedulerFactory.Create(BuiltInProfiles.Default, new SchedulerEnvironment { TimeProvider = _time, Random = new Random(1234) });

    private static SchedulingRequest Request(string prompt) => new() { Model = "Qwen/Qwen2.5-3B-Instruct", Prompt = prompt };

    private sealed class DropEverything : IFilter
    {
        public string Type => "drop-everything";

        public string Name => Type;

        public void Filter(SchedulingContext context, List<EndpointSnapshot> candidates) => candidates.Clear();
    }

    private sealed class RecordingObserver : ISchedulingObserver
    {
        public List<string> Plugins { get; } = [];

        public int Picks { get; private set; }

        public void OnPluginCompleted(string extensionPoint, string pluginType, string pluginName, TimeSpan elapsed) =>
            Plugins.Add($"{extensionPoint}/{pluginType}");

        public void OnPickCompleted(SchedulingResult result, TimeSpan elapsed) => Picks++;
    }
}
