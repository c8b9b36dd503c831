using Aspire.Hosting.ApplicationModel;
using PatternOne.AppHost.Operations;

namespace PatternOne.Tests.AppHost.Operations;

/// <summary>The dashboard's live figures, read the way the dashboard reads them: ResourceNotificationService snapshots.</summary>
[Collection(OperatorStackCollection.Name)]
public sealed class LiveStateTests(OperatorStackFixture stack)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    private static double? Number(CustomResourceSnapshot snapshot, string property) =>
        LiveStateProperties.ParseLeadingNumber(snapshot.Properties.FirstOrDefault(p => p.Name == property)?.Value);

    private static string? Text(CustomResourceSnapshot snapshot, string property) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == property)?.Value?.ToString();

    [Fact]
    public async Task PoolReplicasAndScheduler_ShowLoad_WhileLoadIsApplied()
    {
        // Idle first: the monitor publishes, and nothing is being generated.
        var idle = await stack.WaitForSnapshotAsync(StackFixture.PoolName,
            s => Number(s, LiveStateProperties.GenerationTokensPerSecond) == 0 && Text(s, LiveStateProperties.ReplicasReporting) == "2 of 2", s_timeout);
        Assert.Equal(0, Number(idle, LiveStateProperties.RunningRequests));

        var load = stack.ExecuteAsync("gateway", OperatorBuilderExtensions.RunLoadCommand,
            (OperatorBuilderExtensions.RateArgument, "8"), (OperatorBuilderExtensions.DurationArgument, "12"));

        var loaded = await stack.WaitForSnapshotAsync(StackFixture.PoolName,
            s => Number(s, LiveStateProperties.GenerationTokensPerSecond) > 0, s_timeout);
        Assert.True(Number(loaded, LiveStateProperties.PrefixCacheHitRate) is >= 0 and <= 100);
        Assert.Matches(@"^\d+\.\d %$", Text(loaded, LiveStateProperties.KvCacheUsage));

        var replica = await stack.WaitForSnapshotAsync(stack.ReplicaNames[0], s => Number(s, LiveStateProperties.GenerationTokensPerSecond) is not null, s_timeout);
        Assert.NotNull(Number(replica, LiveStateProperties.RunningRequests));

        var scheduler = await stack.WaitForSnapshotAsync("scheduler", s => Number(s, LiveStateProperties.PicksPerSecond) > 0, s_timeout);
        Assert.Equal("default", Text(scheduler, LiveStateProperties.Profile));
        Assert.Contains(StackFixture.PoolName + "-", Text(scheduler, LiveStateProperties.PickShare), StringComparison.Ordinal);

        Assert.True((await load).Success);

        // Afterwards the prefix cache has served the shared system prompt: the pool's hit rate is above zero.
        var after = await stack.WaitForSnapshotAsync(StackFixture.PoolName, s => Number(s, LiveStateProperties.PrefixCacheHitRate) > 0, s_timeout);
        Assert.Contains("%", Text(after, LiveStateProperties.PrefixCacheHitRate), StringComparison.Ordinal);
    }
}
