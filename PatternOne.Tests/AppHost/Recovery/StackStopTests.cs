using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace PatternOne.Tests.AppHost.Recovery;

/// <summary>A stack of its own (the test stops all of it) whose AppHost log is collected, to see the restart supervisor's decisions.</summary>
public sealed class StackToStop : StackFixture
{
    /// <summary>The supervisor's log category (the class is internal to the AppHost).</summary>
    public const string SupervisorCategory = "PatternOne.AppHost.Recovery.RestartSupervisor";

    /// <summary>The supervisor's "exited unexpectedly; restarting" event: every restart is decided with it.</summary>
    public const int RestartDecidedEvent = 1500;

    protected override void ConfigureAppHost(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder appHost) =>
        appHost.Services.AddFakeLogging(options => options.FilteredCategories.Add(SupervisorCategory));

    /// <summary>The AppHost's collected log; it outlives the AppHost's services (they are disposed when it stops).</summary>
    public FakeLogCollector Log => App.Services.GetFakeLogCollector();

    /// <summary>Every restart the supervisor has decided so far.</summary>
    public static IReadOnlyList<FakeLogRecord> RestartDecisions(FakeLogCollector log) =>
        log.GetSnapshot().Where(r => r.Id.Id == RestartDecidedEvent).ToList();
}

/// <summary>
/// Stopping the whole stack (Ctrl+C, the IDE's stop, the AppHost's SIGTERM) restarts nothing, although every service
/// exits on the way down; a crash before it is restarted. (A stop of one resource from the dashboard is
/// <see cref="LocalRecoveryTests"/>' case.)
/// </summary>
[Collection(StackToStopCollection.Name)]
public sealed class StackStopTests(StackToStop stack)
{
    [Fact]
    public async Task StoppingTheStack_RestartsNothing_WhileACrashBeforeItWasRestarted()
    {
        var app = stack.App;
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var replica = stack.ReplicaNames[0];
        var log = stack.Log;

        // The control: a crash is decided and restarted on this very stack, so the log does show decisions.
        app.ServiceOf(replica).Kill();
        await Eventually.HoldsAsync(() => app.Restarts(replica) > 0, StackFixture.StartTimeout, $"{replica} is restarted after its crash");
        await notifications.WaitForResourceHealthyAsync(replica).WaitAsync(StackFixture.StartTimeout);
        Assert.Contains(StackToStop.RestartDecisions(log), r => r.Message.StartsWith(replica + " exited unexpectedly", StringComparison.Ordinal));

        string[] resources = [.. stack.ReplicaNames, "scheduler", "gateway"];
        var services = resources.Select(r => app.ServiceOf(r)).ToList();
        var decided = StackToStop.RestartDecisions(log).Count;

        using var cancellation = new CancellationTokenSource(StackFixture.StartTimeout);
        await app.StopAsync(cancellation.Token);

        // Every service really went down (the exits the supervisor saw), and once the AppHost has stopped — the
        // supervisor with it — no restart was decided on the way.
        await Eventually.HoldsAsync(() => services.All(s => s.HasExited), StackFixture.StartTimeout, "every service process has exited");
        Assert.Empty(StackToStop.RestartDecisions(log).Skip(decided).Select(r => r.Message));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StackToStopCollection : ICollectionFixture<StackToStop>
{
    public const string Name = "Stack stopped by its test";
}
