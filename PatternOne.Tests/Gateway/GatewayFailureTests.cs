using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatternOne.AppHost;
using PatternOne.Gateway;

namespace PatternOne.Tests.Gateway;

/// <summary>Two replicas, FailOpen (the local default): the stack the failure tests break and repair.</summary>
public sealed class FailOpenStack : StackFixture
{
    protected override int Replicas => 2;
}

/// <summary>One replica, FailClose.</summary>
public sealed class FailCloseStack : StackFixture
{
    protected override IEnumerable<string> ExtraArguments => new AppHostSettings { GatewayFailureMode = FailureMode.FailClose }.ToArgs();
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailOpenStackCollection : ICollectionFixture<FailOpenStack>
{
    public const string Name = "Gateway failure stack (FailOpen)";
}

[CollectionDefinition(Name, DisableParallelization = true)]
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
        await stack.WhileStoppedAsync("scheduler", async () =>
        {
            // The dashboard shows it: requests still succeed, without load or prefix awareness.
            await stack.WaitForHealthAsync("gateway", HealthStatus.Degraded);
            for (var i = 0; i < 6; i++)
            {
                using var response = await client.PostAsJsonAsync("v1/completions", Completion(i)).WaitAsync(StackFixture.RequestTimeout);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        });

        // The gateway reconnects to the picker within its reconnect backoff (at most a second) and picks again.
        var picked = await GatewayCounterAsync("gateway_picker_duration_seconds_count", "outcome=\"picked\"");
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await client.PostAsJsonAsync("v1/completions", Completion(99)).WaitAsync(StackFixture.RequestTimeout);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // Back, but not yet holding fresh metrics of the replicas: its admission refuses until the first scrape.
                return false;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await GatewayCounterAsync("gateway_picker_duration_seconds_count", "outcome=\"picked\"") > picked;
        }, TimeSpan.FromSeconds(15), "the gateway picks through the restarted scheduler");
    }

    [Fact]
    public async Task ReplicaStoppedWhileRequestsFlow_NoRequestFails_AndTheSchedulerStopsChoosingIt()
    {
        var client = stack.CreateGatewayClient();
        var victim = stack.ReplicaNames[0];
        // As the scheduler names it (ip:port), which is how the gateway labels its upstream metrics.
        var victimAddress = $"127.0.0.1:{stack.GetEndpoint(victim, "http").Port}";
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<(HttpStatusCode Status, string? DroppedReason)>();
        using var stop = new CancellationTokenSource();

        async Task FlowAsync(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 200; i++)
            {
                using var response = await client.PostAsJsonAsync("v1/completions", Completion(worker * 1000 + i)).WaitAsync(StackFixture.RequestTimeout);
                outcomes.Enqueue((response.StatusCode,
                    response.Headers.TryGetValues("x-llm-d-request-dropped-reason", out var reason) ? reason.Single() : null));
            }
        }

        try
        {
            var flow = Task.WhenAll(Enumerable.Range(0, 2).Select(FlowAsync));
            int afterStop;
            try
            {
                await Eventually.HoldsAsync(() => outcomes.Count >= 10, StackFixture.RequestTimeout, "requests flow");
                await stack.StopResourceAsync(victim);
                afterStop = outcomes.Count;
                await Eventually.HoldsAsync(() => outcomes.Count >= afterStop + 20, StackFixture.RequestTimeout, "requests flow after the stop");
            }
            finally
            {
                stop.Cancel();
                await flow.WaitAsync(StackFixture.RequestTimeout);
            }

            // No request is lost to the dead replica: each one is answered by a live replica. The only other answer allowed
            // is the scheduler's own admission refusal (429 rejected-saturated), which it gives when every endpoint's
            // metrics look stale — on a starved CPU the live replica's scrape can miss its 200 ms deadline too.
            Assert.All(outcomes, o => Assert.True(o.Status == HttpStatusCode.OK
                || (o.Status == HttpStatusCode.TooManyRequests && o.DroppedReason == "rejected-saturated"), $"{o.Status} {o.DroppedReason}"));
            Assert.True(outcomes.Skip(afterStop).Count(o => o.Status == HttpStatusCode.OK) >= 10, "requests kept succeeding after the replica stopped");

            // The scheduler notices the stale metrics and stops naming the replica: a batch with no failed attempt on it.
            await Eventually.HoldsAsync(async () =>
            {
                var failures = await GatewayCounterAsync("gateway_upstream_failures_total", $"upstream=\"{victimAddress}\"");
                for (var i = 0; i < 8; i++)
                {
                    using var response = await client.PostAsJsonAsync("v1/completions", Completion(5000 + i)).WaitAsync(StackFixture.RequestTimeout);
                    Assert.NotEqual(HttpStatusCode.BadGateway, response.StatusCode);
                }

                return await GatewayCounterAsync("gateway_upstream_failures_total", $"upstream=\"{victimAddress}\"") == failures;
            }, TimeSpan.FromSeconds(30), "the scheduler stopped choosing the stopped replica");
        }
        finally
        {
            // The collection's stack is shared: bring the replica back even when an assertion failed.
            await stack.StartResourceAsync(victim);
        }
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
        await stack.WhileStoppedAsync("scheduler", async () =>
        {
            using var response = await client.PostAsJsonAsync("v1/completions", new { model = StackFixture.Model, prompt = "hi", max_tokens = 4 })
                .WaitAsync(StackFixture.RequestTimeout);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            Assert.Equal("endpoint_picker_unavailable", error.GetProperty("code").GetString());
            await stack.WaitForHealthAsync("gateway", HealthStatus.Unhealthy);

            // Readiness stays: every gateway shares the picker, so leaving the load balancer would not route around it.
            using var status = new HttpClient { BaseAddress = stack.GetEndpoint("gateway", "status"), Timeout = StackFixture.RequestTimeout };
            using var ready = await status.GetAsync("/healthz/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        });

        await stack.WaitForHealthAsync("gateway", HealthStatus.Healthy);
    }
}
