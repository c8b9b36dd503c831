using System.Net;
using System.Text;
using PatternOne.Tests.Gateway.Support;
using Keys = PatternOne.Gateway.GatewaySettings.Keys;

namespace PatternOne.Tests.Gateway.Picking;

/// <summary>
/// A cold gateway is not ready until its picker has answered a warm-up exchange (so the first users of a fresh stack
/// are not the ones paying for cold picks), and the wait is bounded: a picker that never answers leaves the pool to
/// its failure mode, as before.
/// Not run beside other tests: one of them counts this gateway's picks exactly, and OpenTelemetry's listener matches
/// meters by name across the process, so another test's gateway picking at the same time would add to the count.
/// </summary>
[Collection(PickCountingCollection.Name)]
public class PickerWarmupTests(PoolFixture pool) : IClassFixture<PoolFixture>
{
    private const string WarmupId = "gateway-warm-up-" + GatewayHost.Pool;

    [Fact]
    public async Task Readiness_WaitsUntilThePickerHasAnsweredTheWarmup_ThenTheExchangeIsEnded()
    {
        await using var gateway = await StartWithHangingPickerAsync(warmupTimeout: "00:05:00", pickerTimeout: "00:00:01");
        using var status = StatusClient(gateway);

        // The picker has the warm-up request and does not answer: the gateway is not ready, and says so to the AppHost too.
        using (var notReady = await status.GetAsync("/healthz/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }

        using (var health = await status.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        }

        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);

        await WaitUntilReadyAsync(status, "the gateway is ready once the picker answered");
        // A real request as a client would send it (headers and a chat body), and the exchange was ended after the
        // decision, so the picker's in-flight count does not keep it.
        var answered = pool.Picker.Streams.Last(IsWarmup);
        Assert.Equal("/v1/chat/completions", answered.Headers[":path"]);
        Assert.Contains("\"messages\"", Encoding.UTF8.GetString(answered.Body), StringComparison.Ordinal);
        await answered.Completed.Task.WaitAsync(TestTimeouts.Request);
        Assert.Null(answered.ServedEndpoint);
    }

    [Fact]
    public async Task PickerNeverAnswers_ReadyAfterTheWarmupTimeout()
    {
        var closed = "http://" + PoolFixture.ClosedEndpoint();
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(closed, [pool.A.Authority], (Keys.PickerWarmupTimeout, "00:00:02")));
        using var status = StatusClient(gateway);

        await WaitUntilReadyAsync(status, "the gateway is ready once the warm-up timed out");
    }

    [Fact]
    public async Task PickerHangsPastTheWarmupTimeout_GatewayKeepsRunningAndBecomesReady()
    {
        // The pick outlives the warm-up deadline (picker timeout 30 s, warm-up 1 s), so the deadline ends a pick in
        // flight rather than the pause between two attempts.
        await using var gateway = await StartWithHangingPickerAsync(warmupTimeout: "00:00:01", pickerTimeout: "00:00:30");
        using var status = StatusClient(gateway);

        await WaitUntilReadyAsync(status, "the gateway is still running and ready once the warm-up deadline ended the hanging pick");
    }

    [Fact]
    public async Task WarmupExchange_IsNotCountedAsAClientsPick()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority], (Keys.PickerWarmupTimeout, "00:05:00")));
        using var status = StatusClient(gateway);
        await WaitUntilReadyAsync(status, "the gateway is ready once the picker answered the warm-up");
        Assert.Contains(pool.Picker.Streams, IsWarmup);

        using var response = await gateway.Client.PostAsync(GatewayHost.Prefix + "/v1/chat/completions", new StringContent(
            """{"model":"Qwen/Qwen2.5-3B-Instruct","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Two exchanges reached the picker (the warm-up and the client's); the gateway's pick metric counts the client's.
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.MetricsPort}"), Timeout = TestTimeouts.Request };
        var picks = (await metrics.GetStringAsync("/stats/prometheus")).Split('\n')
            .Where(l => l.StartsWith("gateway_picker_duration_seconds_count{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, picks);
    }

    /// <summary>A gateway whose picker hangs on every exchange, returned once the warm-up exchange has reached it.</summary>
    private async Task<GatewayHost> StartWithHangingPickerAsync(string warmupTimeout, string pickerTimeout)
    {
        pool.Picker.Answer = _ => PickerAnswer.Hang();
        var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority],
            (Keys.PickerWarmupTimeout, warmupTimeout), (Keys.PoolPickerTimeout(0), pickerTimeout)));
        try
        {
            await Eventually.HoldsAsync(() => pool.Picker.Streams.Any(IsWarmup), TestTimeouts.Start, "the warm-up exchange reaches the picker");
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    private static Task WaitUntilReadyAsync(HttpClient status, string because) =>
        Eventually.HoldsAsync(async () => (await status.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.OK, TestTimeouts.Start, because);

    private static bool IsWarmup(PickerStream stream) => stream.Headers.GetValueOrDefault("x-request-id") == WarmupId;

    private static HttpClient StatusClient(GatewayHost gateway) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{gateway.StatusPort}"), Timeout = TestTimeouts.Request };
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PickCountingCollection
{
    public const string Name = "Gateway pick counting (alone)";
}
