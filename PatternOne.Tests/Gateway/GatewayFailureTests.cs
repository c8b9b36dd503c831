using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PatternOne.Tests.Infrastructure;

namespace PatternOne.Tests.Gateway;

/// <summary>Two replicas, FailOpen (the local default): the stack the failure tests break and repair.</summary>
public sealed class FailOpenStack : StackFixture
{
    protected override int Replicas => 2;
}

/// <summary>One replica, FailClose.</summary>
public sealed class FailCloseStack : StackFixture
{
    protected override IEnumerable<string> ExtraArguments => ["Gateway:FailureMode=FailClose"];
}

[CollectionDefinition(Name)]
public sealed class FailOpenStackCollection : ICollectionFixture<FailOpenStack>
{
    public const string Name = "Gateway failure stack (FailOpen)";
}

[CollectionDefinition(Name)]
public sealed class FailCloseStackCollection : ICollectionFixture<FailCloseStack>
{
    public const string Name = "Gateway failure stack (FailClose)";
}

[Collection(FailOpenStackCollection.Name)]
public sealed class FailOpenTests(FailOpenStack stack)
{
    [Fact]
    public async Task SchedulerStopped_RequestsStillSucceed_AndPickingResumesWhenItIsBack()
    {
        var client = stack.CreateGatewayClient();
        await stack.StopResourceAsync("scheduler");
        try
        {
            for (var i = 0; i < 6; i++)
            {
                using var response = await client.PostAsJsonAsync("v1/completions", Completion(i)).WaitAsync(StackFixture.RequestTimeout);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        finally
        {
            await stack.StartResourceAsync("scheduler");
        }

        var picked = await GatewayCounterAsync("gateway_picker_duration_seconds_count", "outcome=\"picked\"");
        using (var response = await client.PostAsJsonAsync("v1/completions", Completion(99)).WaitAsync(StackFixture.RequestTimeout))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(await GatewayCounterAsync("gateway_picker_duration_seconds_count", "outcome=\"picked\"") > picked);
    }

    [Fact]
    public async Task ReplicaStoppedWhileRequestsFlow_NoRequestFails_AndTheSchedulerStopsChoosingIt()
    {
        var client = stack.CreateGatewayClient();
        var victim = stack.ReplicaNames[0];
        var victimAddress = stack.GetEndpoint(victim, "http").Authority;
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        using var stop = new CancellationTokenSource();

        async Task FlowAsync(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 200; i++)
            {
                using var response = await client.PostAsJsonAsync("v1/completions", Completion(worker * 1000 + i)).WaitAsync(StackFixture.RequestTimeout);
                statuses.Add(response.StatusCode);
            }
        }

        var flow = Task.WhenAll(Enumerable.Range(0, 3).Select(FlowAsync));
        try
        {
            await Eventually.HoldsAsync(() => statuses.Count >= 10, StackFixture.RequestTimeout, "requests flow");
            await stack.StopResourceAsync(victim);
            var afterStop = statuses.Count;
            await Eventually.HoldsAsync(() => statuses.Count >= afterStop + 20, StackFixture.RequestTimeout, "requests flow after the stop");
        }
        finally
        {
            stop.Cancel();
            await flow.WaitAsync(StackFixture.RequestTimeout);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        // The scheduler notices the stale metrics and stops naming the replica: a batch with no failed attempt on it.
        await Eventually.HoldsAsync(async () =>
        {
            var failures = await GatewayCounterAsync("gateway_upstream_failures_total", $"upstream=\"{victimAddress}\"");
            for (var i = 0; i < 8; i++)
            {
                using var response = await client.PostAsJsonAsync("v1/completions", Completion(5000 + i)).WaitAsync(StackFixture.RequestTimeout);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            return await GatewayCounterAsync("gateway_upstream_failures_total", $"upstream=\"{victimAddress}\"") == failures;
        }, TimeSpan.FromSeconds(30), "the scheduler stopped choosing the stopped replica");

        await stack.StartResourceAsync(victim);
    }

    private static object Completion(int i) => new { model = StackFixture.Model, prompt = $"Request {i}: the capital of France is", max_tokens = 4 };

    private async Task<double> GatewayCounterAsync(string metric, string label)
    {
        using var http = new HttpClient { Timeout = StackFixture.RequestTimeout };
        var text = await http.GetStringAsync(new Uri(stack.GetEndpoint("gateway", "metrics"), "/stats/prometheus"));
        return text.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l.Split(' ')[^1], CultureInfo.InvariantCulture));
    }
}

[Collection(FailCloseStackCollection.Name)]
public sealed class FailCloseTests(FailCloseStack stack)
{
    [Fact]
    public async Task SchedulerStopped_Answers503WithAnOpenAiError()
    {
        var client = stack.CreateGatewayClient();
        await stack.StopResourceAsync("scheduler");
        try
        {
            using var response = await client.PostAsJsonAsync("v1/completions", new { model = StackFixture.Model, prompt = "hi", max_tokens = 4 })
                .WaitAsync(StackFixture.RequestTimeout);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            Assert.Equal("endpoint_picker_unavailable", error.GetProperty("code").GetString());
        }
        finally
        {
            await stack.StartResourceAsync("scheduler");
        }
    }
}
