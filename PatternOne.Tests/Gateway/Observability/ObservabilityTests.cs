using System.Net;
using System.Text;
using PatternOne.Tests.Gateway.Support;

namespace PatternOne.Tests.Gateway.Observability;

public class ObservabilityTests(PoolFixture pool) : IClassFixture<PoolFixture>
{
    [Fact]
    public async Task Readiness_AnswersOnTheStatusPortOnly()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority]));
        using var status = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.StatusPort}"), Timeout = TestTimeouts.Request };

        using var ready = await status.GetAsync("/healthz/ready");
        using var health = await status.GetAsync("/health");
        using var onPublic = await gateway.Client.GetAsync("/healthz/ready");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadAsStringAsync()).Trim());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
    }

    [Fact]
    public async Task Prometheus_CountsRequestsByRouteStatusAndUpstream()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.B.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority]));
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.MetricsPort}"), Timeout = TestTimeouts.Request };
        using (var ok = await gateway.Client.PostAsync(GatewayHost.Prefix + "/v1/completions",
                   new StringContent("{\"prompt\":\"hi\"}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var missing = await gateway.Client.GetAsync("/nowhere"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        var text = await metrics.GetStringAsync("/stats/prometheus");

        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("gateway_requests_total{", StringComparison.Ordinal)
            && l.Contains($"upstream=\"{pool.B.Authority}\"", StringComparison.Ordinal)
            && l.Contains("status=\"200\"", StringComparison.Ordinal)
            && l.Contains("route=\"/llm-d-inference-scheduling/qwen2-3b-pattern1/\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("gateway_requests_total{", StringComparison.Ordinal)
            && l.Contains("status=\"404\"", StringComparison.Ordinal) && l.Contains("route=\"none\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("gateway_request_duration_seconds_bucket{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("gateway_picker_duration_seconds_count{", StringComparison.Ordinal) && l.Contains("outcome=\"picked\"", StringComparison.Ordinal));
    }
}
