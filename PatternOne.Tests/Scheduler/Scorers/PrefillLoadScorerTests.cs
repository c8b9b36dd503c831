using Microsoft.Extensions.Time.Testing;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using PatternOne.Scheduler.Scorers;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Scorers;

/// <summary>
/// <c>prefill-load-scorer</c>: the prompt tokens the scheduler sent an endpoint that it still has to prefill, drained at
/// the configured rate, plus the request's own tokens not in that endpoint's prefix cache.
/// </summary>
public sealed class PrefillLoadScorerTests
{
    private const string A = "10.0.0.1:8000";
    private const string B = "10.0.0.2:8000";
    private const string C = "10.0.0.3:8000";

    [Fact]
    public void Score_IsOneMinusBacklogPlusOwnTokensOverTheThreshold()
    {
        var scorer = new PrefillLoadScorer(PrefillLoadScorer.PluginType, prefillTokensPerSecond: 1_000, thresholdTokens: 1_000);
        var routed = Request(400); // 100 tokens at 4 characters per token
        Pick(scorer, routed, Now, A);

        var scores = Score(scorer, Request(400), Now);

        Assert.Equal(1 - (100.0 + 100) / 1_000, scores[0], 9);
        Assert.Equal(1 - 100.0 / 1_000, scores[1], 9);
    }

    [Fact]
    public void Backlog_DrainsAtThePrefillRate_AndNeverBelowZero()
    {
        var scorer = new PrefillLoadScorer(PrefillLoadScorer.PluginType, prefillTokensPerSecond: 1_000, thresholdTokens: 1_000);
        Pick(scorer, Request(400), Now, A);
        Pick(scorer, Request(800), Now, A);

        Assert.Equal(300, scorer.BacklogOf(A, Now), 9);
        Assert.Equal(250, scorer.BacklogOf(A, Now.AddMilliseconds(50)), 9);
        Assert.Equal(0, scorer.BacklogOf(A, Now.AddMilliseconds(300)), 9);
        Assert.Equal(0, scorer.BacklogOf(A, Now.AddSeconds(5)), 9);
        Assert.Equal(0, scorer.BacklogOf(B, Now), 9);
    }

    [Fact]
    public void TokensCachedOnTheEndpoint_CountNeitherInTheScoreNorInTheBacklog()
    {
        // 10 blocks of 64 characters = 160 tokens; A already holds the first 8 blocks, so only 2 are to be prefilled there.
        var prefix = new PrefixCacheScorer(PrefixCacheScorer.PluginType, 64, 256, 1_000);
        var scorer = new PrefillLoadScorer(PrefillLoadScorer.PluginType, prefillTokensPerSecond: 1_000, thresholdTokens: 1_000);
        prefix.Learn(Context(new SchedulingRequest { Model = "m", Prompt = Prompt(8, "system") }), A);
        var request = new SchedulingRequest { Model = "m", Prompt = Prompt(8, "system") + Prompt(2, "question") };
        var context = Context(request);
        EndpointSnapshot[] candidates = [Endpoint(A), Endpoint(B)];
        var scores = new double[2];

        prefix.Score(context, candidates, new double[2]);
        scorer.Score(context, candidates, scores);
        scorer.Learn(context, A);

        Assert.Equal(1 - 32.0 / 1_000, scores[0], 9);
        Assert.Equal(1 - 160.0 / 1_000, scores[1], 9);
        Assert.Equal(32, scorer.BacklogOf(A, Now), 9);
    }

    [Fact]
    public void ForgottenEndpoint_HasNoBacklog()
    {
        var scorer = new PrefillLoadScorer(PrefillLoadScorer.PluginType, prefillTokensPerSecond: 1_000, thresholdTokens: 1_000);
        Pick(scorer, Request(4_000), Now, A);

        scorer.Forget(A);

        Assert.Equal(0, scorer.BacklogOf(A, Now));
    }

    /// <summary>
    /// The blind spot it closes: right after a scrape every replica shows 0 waiting and nothing routed since, so the
    /// default's queue view cannot tell that one of them has just been sent a long prompt; without this scorer the
    /// prefix match of a short shared system prompt sends the next request of that group to the same, busy replica.
    /// Once the backlog has drained, affinity wins again: the group's next request goes to a replica holding its prefix.
    /// </summary>
    [Fact]
    public void DefaultProfile_SteersALongPromptAwayFromAReplicaStillPrefilling_ThenBackForAffinity()
    {
        var time = new FakeTimeProvider(Now);
        var picker = SchedulerFactory.Create(BuiltInProfiles.Default, new SchedulerEnvironment { TimeProvider = time, Random = new Random(3) });
        EndpointSnapshot[] endpoints = [Endpoint(A, kv: 0.05), Endpoint(B, kv: 0.05), Endpoint(C, kv: 0.05)];
        var system = Prompt(16, "system"); // 1,024 characters shared by the group
        SchedulingRequest Question(int i) => new() { Model = "m", Prompt = system + Prompt(96, $"question-{i}") }; // + 6,144 characters

        var first = picker.Pick(Question(1), endpoints).Primary.Address;
        var second = picker.Pick(Question(2), endpoints).Primary.Address;
        time.Advance(TimeSpan.FromSeconds(1));
        var third = picker.Pick(Question(3), endpoints).Primary.Address;

        Assert.NotEqual(first, second);
        Assert.Contains(third, new[] { first, second });
    }

    private static SchedulingRequest Request(int characters) => new() { Model = "m", Prompt = new string('x', characters) };

    private static void Pick(PrefillLoadScorer scorer, SchedulingRequest request, DateTimeOffset at, string address)
    {
        var context = ContextAt(request, at);
        scorer.Score(context, [Endpoint(A), Endpoint(B)], new double[2]);
        scorer.Learn(context, address);
    }

    private static double[] Score(PrefillLoadScorer scorer, SchedulingRequest request, DateTimeOffset at)
    {
        var scores = new double[2];
        scorer.Score(ContextAt(request, at), [Endpoint(A), Endpoint(B)], scores);
        return scores;
    }

    private static SchedulingContext ContextAt(SchedulingRequest request, DateTimeOffset at) => new(request, at, new Random(1));
}
