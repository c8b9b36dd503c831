using System.Net;
using PatternOne.Tests.Gateway.Support;

namespace PatternOne.Tests.Gateway.Observability;

/// <summary>The status port tells the truth about the endpoint picker, without taking the gateway out of rotation.</summary>
public class PickerHealthTests(PoolFixture pool) : IClassFixture<PoolFixture>
{
    [Theory]
    [InlineData("FailOpen", HttpStatusCode.OK, "Degraded")]
    [InlineData("FailClose", HttpStatusCode.ServiceUnavailable, "Unhealthy")]
    public async Task PickerUnreachable_HealthReportsTheFailureMode_ReadinessStays(string failureMode, HttpStatusCode healthStatus, string health)
    {
        var closed = "http://" + PoolFixture.ClosedEndpoint();
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(closed, [pool.A.Authority],
            ("Gateway:Pools:0:FailureMode", failureMode)));
        using var status = StatusClient(gateway);

        using var healthResponse = await status.GetAsync("/health");
        using var readyResponse = await status.GetAsync("/healthz/ready");

        Assert.Equal(healthStatus, healthResponse.StatusCode);
        Assert.Equal(health, await healthResponse.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, readyResponse.StatusCode);
    }

    [Fact]
    public async Task PickerReachable_HealthIsHealthy()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority],
            ("Gateway:Pools:0:FailureMode", "FailClose")));
        using var status = StatusClient(gateway);

        using var response = await status.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    private static HttpClient StatusClient(GatewayHost gateway) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{gateway.StatusPort}"), Timeout = TestTimeouts.Request };
}
