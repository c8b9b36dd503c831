using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Objectives;
using static PatternOne.Tests.Infrastructure.FakeKubernetesApi;

namespace PatternOne.Tests.Scheduler.Objectives;

public sealed class KubernetesObjectiveWatcherTests : FakeKubernetesApiTest
{
    private const string Pool = "qwen2-3b-pattern1";

    private readonly InferencePoolOptions _options = new()
    {
        Name = Pool,
        Namespace = "llm-d-inference-scheduling",
        Discovery = DiscoveryMode.Kubernetes,
        Objectives = new(StringComparer.Ordinal) { ["batch"] = new InferenceObjectiveSpec { Priority = 0 }, ["interactive"] = new InferenceObjectiveSpec { Priority = 5 } },
    };

    [Fact]
    public async Task ClusterObjectivesOfThisPool_SetPriorities_AsTheWatchReports()
    {
        Api.Objectives = [Objective("batch", Pool, -1), Objective("other-pools", "another-pool", -9), Objective("unset", Pool, null)];
        var registry = new ObjectiveRegistry(Options.Create(_options));
        using var watcher = Watcher(registry);
        await watcher.StartAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);

        var watch = await Api.NextObjectiveWatchAsync(TestTimeouts.Request);
        Assert.Equal("100", watch.ResourceVersion);
        Assert.Equal(-1, registry.PriorityOf("batch"));          // the cluster's object wins over configuration
        Assert.Equal(5, registry.PriorityOf("interactive"));     // configured, not in the cluster
        Assert.False(registry.Priorities.ContainsKey("other-pools"));
        Assert.Equal(0, registry.PriorityOf("unset"));
        Assert.True(registry.Priorities.ContainsKey("unset"));

        await watch.SendJsonAsync("ADDED", Objective("bulk", Pool, -3));
        await Eventually.HoldsAsync(() => registry.PriorityOf("bulk") == -3, TestTimeouts.Request, "an added objective applies");

        await watch.SendJsonAsync("MODIFIED", Objective("batch", Pool, 2));
        await Eventually.HoldsAsync(() => registry.PriorityOf("batch") == 2, TestTimeouts.Request, "a changed priority applies");

        await watch.SendJsonAsync("DELETED", Objective("batch", Pool, 2));
        await Eventually.HoldsAsync(() => registry.PriorityOf("batch") == 0 && registry.Priorities.ContainsKey("batch"), TestTimeouts.Request,
            "a deleted objective falls back to its configured priority");

        await watch.SendJsonAsync("MODIFIED", Objective("bulk", "another-pool", -3));
        await Eventually.HoldsAsync(() => !registry.Priorities.ContainsKey("bulk"), TestTimeouts.Request, "an objective moved to another pool leaves");

        await watcher.StopAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
    }

    [Fact]
    public async Task AfterTheWatchEnds_ObjectivesAreListedAgain()
    {
        Api.Objectives = [Objective("batch", Pool, -1)];
        var registry = new ObjectiveRegistry(Options.Create(_options));
        using var watcher = Watcher(registry);
        await watcher.StartAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
        var first = await Api.NextObjectiveWatchAsync(TestTimeouts.Request);

        Api.Objectives = [Objective("batch", Pool, -4)];
        first.Close();
        await Api.NextObjectiveWatchAsync(TestTimeouts.Request);

        Assert.Equal(-4, registry.PriorityOf("batch"));
        await watcher.StopAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
    }

    [Fact]
    public async Task WithoutTheCrd_ConfiguredObjectivesKeepWorking()
    {
        Api.Objectives = null;
        var registry = new ObjectiveRegistry(Options.Create(_options));
        using var watcher = Watcher(registry);

        await watcher.StartAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
        await Eventually.HoldsAsync(() => Api.ObjectiveRequests >= 1, TestTimeouts.Request, "the watcher asks for InferenceObjectives");

        Assert.Equal(5, registry.PriorityOf("interactive"));
        Assert.Equal(0, registry.PriorityOf(null));
        await watcher.StopAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
    }

    private KubernetesObjectiveWatcher Watcher(ObjectiveRegistry registry) =>
        new(Client, registry, Options.Create(_options), TimeProvider.System, NullLogger<KubernetesObjectiveWatcher>.Instance);
}
