using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatternOne.AppHost.Publishing.Plan;
using PatternOne.Tests.AppHost.Publishing;
using PatternOne.Tests.Scheduler.ExtProc;
using PatternOne.Tests.Scheduler.Hosting;
using static PatternOne.Tests.Infrastructure.FakeKubernetesApi;

namespace PatternOne.Tests.Scheduler.Discovery;

/// <summary>
/// The scheduler started as an EPP (<c>--pool-name</c>) against a Kubernetes API served by the test: it reads the
/// InferencePool, selects pods by the pool's selector and target port, follows a change of them, and picks only
/// from matching pods — for both API groups.
/// </summary>
public sealed class InferencePoolDiscoveryTests : EndpointPickerApiTest
{
    private static readonly Dictionary<string, string> s_blue = new() { ["app.kubernetes.io/name"] = "qwen2-3b-pattern1", ["kserve.io/component"] = "workload" };
    private static readonly Dictionary<string, string> s_green = new() { ["app.kubernetes.io/name"] = "qwen2-3b-pattern1-green", ["kserve.io/component"] = "workload" };

    [Theory]
    [InlineData("inference.networking.k8s.io", "v1")]
    [InlineData("inference.networking.x-k8s.io", "v1alpha2")]
    public async Task ReadsThePool_FollowsItsSelector_AndPicksOnlyMatchingPods(string group, string version)
    {
        Api.Pods.Add(Pod("blue-0", "10.1.0.1", ready: true, "90", s_blue));
        Api.Pods.Add(Pod("blue-1", "10.1.0.2", ready: true, "91", s_blue));
        Api.Pods.Add(Pod("green-0", "10.1.0.3", ready: true, "92", s_green));
        Api.Pods.Add(Pod("other", "10.1.0.9", ready: true, "93", new Dictionary<string, string> { ["app"] = "curl" }));
        Api.InferencePools[$"{group}/{version}/{Ns}/{PoolName}"] = Pool(group, PoolName, "500", s_blue, 8000);
        var ports = SchedulerTestHost.FreePorts(3);
        await using var host = await EndpointPickerHost.StartAsync(
        [
            "--pool-name", PoolName, "--pool-namespace", Ns, "--pool-group", group,
            "--grpc-port", Str(ports[0]), "--grpc-health-port", Str(ports[1]), "--metrics-port", Str(ports[2]),
            "--secure-serving=false", "--drain-timeout=0s",
        ], Client, new FakeTimeProvider(DateTimeOffset.UtcNow));

        await WaitForPoolAsync(host, "10.1.0.1:8000", "10.1.0.2:8000");
        Assert.Contains($"GET /apis/{group}/{version}/namespaces/{Ns}/inferencepools/{PoolName}", Api.AllRequests);
        await AssertPicksAmongAsync(host, ports[0], "10.1.0.1:8000", "10.1.0.2:8000");

        // The pool is edited: another selector, another port. The scheduler follows its watch.
        var poolWatch = await Api.NextPoolWatchAsync(Timeout);
        Assert.Equal("500", poolWatch.ResourceVersion);
        await poolWatch.SendJsonAsync("MODIFIED", Pool(group, PoolName, "501", s_green, 8001));

        await WaitForPoolAsync(host, "10.1.0.3:8001");
        Assert.Contains(Api.Requests, r => !r.Watch && r.LabelSelector == "app.kubernetes.io/name=qwen2-3b-pattern1-green,kserve.io/component=workload");
        await AssertPicksAmongAsync(host, ports[0], "10.1.0.3:8001");
    }

    [Fact]
    public async Task EveryApiRequest_IsAllowedByThePublishedRole()
    {
        const string Group = "inference.networking.k8s.io";
        Api.Pods.Add(Pod("blue-0", "10.1.0.1", ready: true, "90", s_blue));
        Api.InferencePools[$"{Group}/v1/{Ns}/{PoolName}"] = Pool(Group, PoolName, "500", s_blue, 8000);
        var ports = SchedulerTestHost.FreePorts(3);
        await using (var host = await EndpointPickerHost.StartAsync(
        [
            "--pool-name", PoolName, "--pool-namespace", Ns, "--pool-group", Group,
            "--grpc-port", Str(ports[0]), "--grpc-health-port", Str(ports[1]), "--metrics-port", Str(ports[2]),
            "--secure-serving=false", "--drain-timeout=0s",
        ], Client, new FakeTimeProvider(DateTimeOffset.UtcNow)))
        {
            await WaitForPoolAsync(host, "10.1.0.1:8000");
            await Api.NextPoolWatchAsync(Timeout);
            await Api.NextWatchAsync(Timeout);
        }

        var role = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(PublishTopology.Istio)).Select(o => o.Object).OfType<V1Role>().Single();
        Assert.NotEmpty(Api.AllRequests);
        foreach (var request in Api.AllRequests)
        {
            var (apiGroup, resource, verb) = Access(request);
            Assert.True(role.Rules.Any(r => r.ApiGroups.Contains(apiGroup) && r.Resources.Contains(resource) && r.Verbs.Contains(verb)),
                $"'{request}' needs {verb} on {apiGroup}/{resource}, which the published Role does not grant.");
        }
    }

    /// <summary>The RBAC verb and resource of a read (namespaced GET: get by name, list, or list with watch).</summary>
    private static (string Group, string Resource, string Verb) Access(string request)
    {
        var pathAndQuery = request["GET ".Length..];
        var path = pathAndQuery.Split('?')[0].Trim('/').Split('/');
        var watch = pathAndQuery.Contains("watch=true", StringComparison.Ordinal);
        // /api/v1/namespaces/{ns}/{resource}[/{name}] or /apis/{group}/{version}/namespaces/{ns}/{resource}[/{name}]
        var (group, rest) = path[0] == "api" ? ("", path[2..]) : (path[1], path[3..]);
        var verb = rest.Length == 4 ? "get" : watch ? "watch" : "list";
        return (group, rest[2], verb);
    }

    private static async Task WaitForPoolAsync(EndpointPickerHost host, params string[] expected) =>
        await Eventually.HoldsAsync(
            () => host.Pool.Endpoints.Select(e => e.Address).Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal)),
            Timeout, $"the pool to become [{string.Join(", ", expected)}]");

    private static async Task AssertPicksAmongAsync(EndpointPickerHost host, int port, params string[] allowed)
    {
        foreach (var endpoint in host.Pool.Endpoints)
        {
            endpoint.Metrics = new global::PatternOne.Scheduler.Metrics.EndpointMetrics { WaitingRequests = 0, KvCacheUsage = 0.1, ScrapedAt = host.App.Services.GetRequiredService<TimeProvider>().GetUtcNow() };
        }

        for (var i = 0; i < 6; i++)
        {
            await using var envoy = new EnvoyClient(port, Timeout);
            await envoy.SendRequestHeadersAsync("POST", "/v1/completions", endOfStream: false);
            await envoy.SendBodyAsync(System.Text.Encoding.UTF8.GetBytes($$"""{"model":"m","prompt":"request {{i}}"}"""), 1024);
            var response = await envoy.ReceiveAsync();
            var picked = EnvoyClient.PickedEndpoints(response!);
            Assert.All(picked, p => Assert.Contains(p, allowed));
        }
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
