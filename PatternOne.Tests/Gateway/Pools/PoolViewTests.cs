using Microsoft.Extensions.Logging.Abstractions;
using PatternOne.Gateway;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Pools;

namespace PatternOne.Tests.Gateway.Pools;

public class PoolViewTests
{
    private static readonly EndpointAddress Replica = new("10.0.0.1", 8000);

    /// <summary>
    /// A probe answer racing the verdict of an older probe that went unanswered: whichever comes first, the replica
    /// answered after that probe left, so it must end up not hung — a request starting on it must not be cut at once.
    /// Each round starts both on two threads at the same moment; an unguarded check-then-cancel loses the answer in
    /// some rounds (the verdict reads the old sign of life, the answer finds nothing to undo, then the verdict cancels).
    /// </summary>
    [Fact]
    public void ProbeAnswerRacingTheHungVerdictOfAnOlderProbe_NeverLeavesTheReplicaHung()
    {
        const int Rounds = 50_000;
        var time = new TickingTimeProvider();
        var views = Enumerable.Range(0, Rounds).Select(_ => NewView(time)).ToArray();
        var sentAt = new long[Rounds];
        var arrivals = 0;

        // Both threads arrive, then both go: spinning (not a Barrier's sleep and wake) lines the two calls up closely.
        void BothReady(int round)
        {
            Interlocked.Increment(ref arrivals);
            var spin = default(SpinWait);
            while (Volatile.Read(ref arrivals) < 2 * (round + 1))
            {
                spin.SpinOnce();
            }
        }

        var verdicts = new Thread(() =>
        {
            for (var i = 0; i < Rounds; i++)
            {
                sentAt[i] = time.GetTimestamp();
                BothReady(i);
                Thread.SpinWait(Offset(i, verdictFirst: false));
                views[i].MarkUnresponsive(Replica, sentAt[i]);
            }
        });
        var answers = new Thread(() =>
        {
            for (var i = 0; i < Rounds; i++)
            {
                BothReady(i);
                Thread.SpinWait(Offset(i, verdictFirst: true));
                views[i].MarkHealthy(Replica);
            }
        });
        // The rounds sweep the head start of one call over the other, so some rounds land in any window there is.
        static int Offset(int round, bool verdictFirst) => (round % 2 == 0) == verdictFirst ? round / 2 % 32 : 0;

        verdicts.Start();
        answers.Start();
        Assert.True(verdicts.Join(TestTimeouts.Request) && answers.Join(TestTimeouts.Request), "the rounds did not finish");

        var lost = Enumerable.Range(0, Rounds).Count(i => views[i].Liveness(Replica)!.Unresponsive.IsCancellationRequested);
        Assert.True(lost == 0, $"{lost} of {Rounds} rounds left a replica that had just answered marked hung");
    }

    [Fact]
    public void UnansweredProbe_WithNoSignOfLifeSince_MarksTheReplicaHung_UntilItAnswersAgain()
    {
        var time = new TickingTimeProvider();
        var view = NewView(time);
        var sentAt = time.GetTimestamp();
        var onTheReplica = view.Liveness(Replica)!.Unresponsive;

        Assert.True(view.MarkUnresponsive(Replica, sentAt));
        Assert.True(onTheReplica.IsCancellationRequested);
        Assert.True(view.Liveness(Replica)!.Unresponsive.IsCancellationRequested);
        Assert.False(view.IsReady(Replica));

        view.MarkHealthy(Replica);

        Assert.False(view.Liveness(Replica)!.Unresponsive.IsCancellationRequested);
        Assert.True(view.IsReady(Replica));
    }

    [Fact]
    public void UnansweredProbe_WithAStreamChunkSince_OnlyTakesTheReplicaOutOfRotation()
    {
        var time = new TickingTimeProvider();
        var view = NewView(time);
        var sentAt = time.GetTimestamp();
        view.Liveness(Replica)!.SignOfLife();

        Assert.False(view.MarkUnresponsive(Replica, sentAt));
        Assert.False(view.Liveness(Replica)!.Unresponsive.IsCancellationRequested);
        Assert.False(view.IsReady(Replica));
    }

    private static PoolView NewView(TimeProvider time) =>
        new(new GatewayPoolOptions { Name = "pool", Endpoints = [Replica.Authority] }, time, NullLogger.Instance);

    /// <summary>Every reading a tick later than the last, so "after the probe left" is never a tie.</summary>
    private sealed class TickingTimeProvider : TimeProvider
    {
        private long _now;

        public override long GetTimestamp() => Interlocked.Increment(ref _now);
    }
}
