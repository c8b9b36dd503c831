using PatternOne.Scheduler.Observability;

namespace PatternOne.Tests.AppHost.Operations;

/// <summary>"Why this replica": the scheduler's pick span carries every candidate's score per scorer and the winner.</summary>
[Collection(OperatorStackCollection.Name)]
public sealed class PickExplanationTests(OperatorStackFixture stack)
{
    private static readonly string[] s_defaultScorers = ["queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer", "prefill-load-scorer"];

    [Fact]
    public async Task PickSpan_CarriesEveryCandidatesScorePerScorer_AndTheWinner()
    {
        var traceId = await TracedChat.SendAsync(stack.CreateGatewayClient(https: false), "Explain your choice of replica.", maxTokens: 2);

        await Eventually.HoldsAsync(() => stack.Traces.Spans.Any(s => s.TraceId == traceId && s.Service == "scheduler" && s.Name == "schedule"),
            TimeSpan.FromSeconds(30), $"the scheduler exported the schedule span of trace {traceId}");
        var span = stack.Traces.Spans.Single(s => s.TraceId == traceId && s.Service == "scheduler" && s.Name == "schedule");

        Assert.Equal("default", span.Attributes[PickSpan.Profile]);
        var winner = Assert.IsType<string>(span.Attributes[PickSpan.Winner]);
        var candidates = span.Events.Where(e => e.Name == PickSpan.CandidateEvent).ToList();
        Assert.Equal(stack.ReplicaNames.Count, candidates.Count);
        Assert.Equal((long)candidates.Count, span.Attributes[PickSpan.CandidateCount]);
        foreach (var candidate in candidates)
        {
            var total = 0.0;
            foreach (var scorer in s_defaultScorers)
            {
                var score = Assert.IsType<double>(candidate.Attributes[PickSpan.ScorePrefix + scorer]);
                var weight = Assert.IsType<double>(candidate.Attributes[PickSpan.WeightPrefix + scorer]);
                Assert.InRange(score, 0, 1);
                total += score * weight;
            }

            Assert.Equal(total, Assert.IsType<double>(candidate.Attributes[PickSpan.CandidateTotal]), 9);
        }

        var won = Assert.Single(candidates, c => c.Attributes[PickSpan.CandidateWinner] is true);
        Assert.Equal(winner, won.Attributes[PickSpan.CandidateEndpoint]);
        Assert.Equal(candidates.Max(c => (double)c.Attributes[PickSpan.CandidateTotal]!), (double)won.Attributes[PickSpan.CandidateTotal]!);
    }
}
