using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;
using static PatternOne.Tests.Infrastructure.FakeKubernetesApi;

namespace PatternOne.Tests.Scheduler.Discovery;

public sealed class KubernetesDiscoveryTests : FakeKubernetesApiTest
{
    private readonly EndpointPool _pool = new();

    [Fact]
    public async Task ReadyPods_JoinAndLeaveThePoolAsTheWatchReports()
    {
        Api.Pods.Add(Pod("vllm-a", "10.1.0.1", ready: true, "90"));
        Api.Pods.Add(Pod("vllm-b", "10.1.0.2", ready: false, "95"));
        Api.ResourceVersion = "100";
        using var discovery = await StartDiscoveryAsync();

        var watch = await Api.NextWatchAsync(TestTimeouts.Request);
        Assert.Equal("100", watch.ResourceVersion);
        Assert.True(_pool.IsSynced);
        AssertPool("10.1.0.1:8000");
        Assert.Contains(Api.Requests, r => r.LabelSelector == "app.kubernetes.io/name=qwen2-3b-pattern1,kserve.io/component=workload" && r.Namespace == "llm-d-inference-scheduling");

        await watch.SendAsync("MODIFIED", Pod("vllm-b", "10.1.0.2", ready: true, "101"));
        await WaitForPoolAsync("10.1.0.1:8000", "10.1.0.2:8000");

        await watch.SendAsync("ADDED", Pod("vllm-c", "10.1.0.3", ready: true, "102"));
        await WaitForPoolAsync("10.1.0.1:8000", "10.1.0.2:8000", "10.1.0.3:8000");

        await watch.SendAsync("MODIFIED", Pod("vllm-a", "10.1.0.1", ready: false, "103"));
        await WaitForPoolAsync("10.1.0.2:8000", "10.1.0.3:8000");

        await watch.SendAsync("DELETED", Pod("vllm-c", "10.1.0.3", ready: true, "104"));
        await WaitForPoolAsync("10.1.0.2:8000");

        await discovery.StopAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
    }

    [Fact]
    public async Task AfterADisconnect_TheWatchResumesFromTheLastResourceVersion()
    {
        using var discovery = await StartWithOneReadyPodAsync();
        var first = await Api.NextWatchAsync(TestTimeouts.Request);
        await first.SendAsync("ADDED", Pod("vllm-b", "10.1.0.2", ready: true, "117"));
        await WaitForPoolAsync("10.1.0.1:8000", "10.1.0.2:8000");

        first.Close();
        var second = await Api.NextWatchAsync(TestTimeouts.Request);

        Assert.Equal("117", second.ResourceVersion);
        Assert.Single(Api.Requests, r => !r.Watch);
        await second.SendAsync("MODIFIED", Pod("vllm-b", "10.1.0.2", ready: false, "118"));
        await WaitForPoolAsync("10.1.0.1:8000");
        await discovery.StopAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
    }

    [Fact]
    public async Task GoneResourceVersion_TriggersAFreshList()
    {
        using var discovery = await StartWithOneReadyPodAsync();
        var first = await Api.NextWatchAsync(TestTimeouts.Request);
        AssertPool("10.1.0.1:8000");

        Api.Pods.Clear();
        Api.Pods.Add(Pod("vllm-z", "10.1.0.9", ready: true, "500"));
        Api.ResourceVersion = "500";
        await first.SendGoneAsync();
        first.Close();

        var second = await Api.NextWatchAsync(TestTimeouts.Request);
        Assert.Equal("500", second.ResourceVersion);
        Assert.Equal(2, Api.Requests.Count(r => !r.Watch));
        AssertPool("10.1.0.9:8000");
        await discovery.StopAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
    }

    /// <summary>Discovery started against one ready pod, <c>vllm-a</c> at 10.1.0.1 (resource version 90).</summary>
    private Task<KubernetesDiscovery> StartWithOneReadyPodAsync()
    {
        Api.Pods.Add(Pod("vllm-a", "10.1.0.1", ready: true, "90"));
        return StartDiscoveryAsync();
    }

    private async Task<KubernetesDiscovery> StartDiscoveryAsync()
    {
        var discovery = Discovery();
        await discovery.StartAsync(CancellationToken.None).WaitAsync(TestTimeouts.Request);
        return discovery;
    }

    private KubernetesDiscovery Discovery()
    {
        var options = new InferencePoolOptions
        {
            Discovery = DiscoveryMode.Kubernetes,
            Namespace = "llm-d-inference-scheduling",
            Selector = new() { ["kserve.io/component"] = "workload", ["app.kubernetes.io/name"] = "qwen2-3b-pattern1" },
            TargetPort = 8000,
        };
        return new(Client, _pool, new PoolSelectionSource(options.ConfiguredSelection()), Options.Create(options),
            TimeProvider.System, NullLogger<KubernetesDiscovery>.Instance);
    }

    private void AssertPool(params string[] expected) =>
        Assert.Equal(expected, _pool.Endpoints.Select(e => e.Address));

    private Task WaitForPoolAsync(params string[] expected) =>
        Eventually.HoldsAsync(() => _pool.Endpoints.Select(e => e.Address).SequenceEqual(expected), TestTimeouts.Request, $"the pool is [{string.Join(", ", expected)}]");
}
