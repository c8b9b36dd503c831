using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;

namespace PatternOne.Tests.AppHost.Recovery;

/// <summary>A stack of its own (the test stops all of it) whose AppHost log is collected, to see the restart supervisor's decisions.</summary>
public sealed class StackToStop : StackFixture
{
    /// <summary>The supervisor's log category (the class is internal to the AppHost).</summary>
    public const string SupervisorCategory = "PatternOne.AppHost.Recovery.RestartSupervisor";

    /// <summary>The supervisor's "exited unexpectedly; restarting" event: every restart is decided with it.</summary>
    public const int RestartDecidedEvent = 1500;

    protected override void ConfigureAppHost(IDistributedApplicationTestingBuilder appHost) =>
        appHost.Services.AddFakeLogging(options => options.FilteredCategories.Add(SupervisorCategory));

    /// <summary>Every restart the supervisor has decided so far.</summary>
    public IReadOnlyList<FakeLogRecord> RestartDecisions() =>
        App.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == RestartDecidedEvent).ToList();
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StackToStopCollection : ICollectionFixture<StackToStop>
{
    public const string Name = "Stack stopped by its test";
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

        // The control: a crash is decided and restarted on this very stack, so the log does show decisions.
        app.ServiceOf(replica).Kill();
        await Eventually.HoldsAsync(() => app.Restarts(replica) > 0, StackFixture.StartTimeout, $"{replica} is restarted after its crash");
        await notifications.WaitForResourceHealthyAsync(replica).WaitAsync(StackFixture.StartTimeout);
        Assert.Contains(stack.RestartDecisions(), r => r.Message.StartsWith(replica + " exited unexpectedly", StringComparison.Ordinal));

        string[] resources = [.. stack.ReplicaNames, "scheduler", "gateway"];
        var services = resources.Select(r => app.ServiceOf(r)).ToList();
        var decided = stack.RestartDecisions().Count;
        var restarts = resources.ToDictionary(r => r, r => app.Restarts(r));

        using var cancellation = new CancellationTokenSource(StackFixture.StartTimeout);
        await app.StopAsync(cancellation.Token);

        // Every service really went down (the exits the supervisor saw), and once the AppHost has stopped — the
        // supervisor with it — no restart was decided on the way.
        await Eventually.HoldsAsync(() => services.All(s => s.HasExited), StackFixture.StartTimeout, "every service process has exited");
        Assert.Empty(stack.RestartDecisions().Skip(decided).Select(r => r.Message));
        Assert.All(resources, r => Assert.Equal(restarts[r], app.Restarts(r)));
    }
}
