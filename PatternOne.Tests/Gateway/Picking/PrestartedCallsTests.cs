using System.Net;
using System.Text;
using Envoy.Service.ExtProc.V3;
using PatternOne.Tests.Gateway.Support;
using Keys = PatternOne.Gateway.GatewaySettings.Keys;

namespace PatternOne.Tests.Gateway.Picking;

/// <summary>
/// ext_proc calls opened ahead of the requests (<c>PrestartPickerCalls</c>): each request still gets its own stream with
/// exactly its messages, a picker restart costs no request, shutdown closes them, and with the option off none is opened.
/// </summary>
public class PrestartedCallsTests(PoolFixture pool) : IClassFixture<PoolFixture>
{
    private const string Chat = GatewayHost.Prefix + "/v1/chat/completions";

    /// <summary>The rate is measured over a second before any call is opened ahead; this much traffic is plenty.</summary>
    private static readonly TimeSpan Warm = TimeSpan.FromSeconds(60);

    private static StringContent ChatBody(string content = "hi") => new(
        $$"""{"model":"Qwen/Qwen2.5-3B-Instruct","messages":[{"role":"user","content":"{{content}}"}]}""", Encoding.UTF8, "application/json");

    private static Dictionary<string, string?> Settings(FakeEndpointPicker picker, string endpoint, bool prestart) =>
        GatewayHost.Settings(picker.Address, [endpoint],
            (Keys.PoolPrestartPickerCalls(0), prestart ? "true" : "false"),
            // A pick that fails answers 503 instead of falling back to the gateway's own choice, so a success proves a pick.
            (Keys.PoolFailureMode(0), "FailClose"));

    private static async Task<(HttpStatusCode Status, string Id)> ChatAsync(GatewayHost gateway, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody() };
        request.Headers.Add("x-request-id", id);
        using var response = await gateway.Client.SendAsync(request);
        return (response.StatusCode, id);
    }

    /// <summary>Sends requests until the picker holds a call that has received nothing yet.</summary>
    private static Task WaitForIdleCallAsync(GatewayHost gateway, FakeEndpointPicker picker, string prefix)
    {
        var sent = 0;
        return Eventually.HoldsAsync(async () =>
        {
            var (status, _) = await ChatAsync(gateway, $"{prefix}-{sent++}");
            Assert.Equal(HttpStatusCode.OK, status);
            return picker.IdleCalls > 0;
        }, Warm, "the gateway has a call to the picker open ahead of a request");
    }

    [Fact]
    public async Task PrestartedCall_CarriesExactlyTheRequestsMessages()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await GatewayHost.StartAsync(Settings(pool.Picker, pool.A.Authority, prestart: true));
        await WaitForIdleCallAsync(gateway, pool.Picker, "warm");

        // Keep asking until one request went out on a call that reached the picker before the request was sent.
        PickerStream? used = null;
        var n = 0;
        await Eventually.HoldsAsync(async () =>
        {
            var openedBefore = pool.Picker.CallsOpened;
            var (status, id) = await ChatAsync(gateway, $"prestarted-{n++}");
            Assert.Equal(HttpStatusCode.OK, status);
            var stream = pool.Picker.Streams.Single(s => s.Headers.GetValueOrDefault("x-request-id") == id);
            used = stream.CallOrdinal <= openedBefore ? stream : null;
            return used is not null;
        }, Warm, "a request is served on a pre-started call");

        await used!.Completed.Task.WaitAsync(TestTimeouts.Request);
        Assert.Equal(
            [ProcessingRequest.RequestOneofCase.RequestHeaders, ProcessingRequest.RequestOneofCase.RequestBody, ProcessingRequest.RequestOneofCase.ResponseHeaders],
            used.Messages.ToArray());
        Assert.Equal(await ChatBody().ReadAsByteArrayAsync(), used.Body);
        Assert.True(used.LastChunkHadEndOfStream);
        Assert.Equal(pool.A.Authority, used.ServedEndpoint);
        Assert.True(used.ResponseHeadersObserved);
        // One stream per request: every request of this test is on exactly one stream.
        Assert.All(Enumerable.Range(0, n), i => Assert.Single(pool.Picker.Streams, s => s.Headers.GetValueOrDefault("x-request-id") == $"prestarted-{i}"));
    }

    [Fact]
    public async Task PickerRestart_WithPrestartedCallsOpen_TheNextRequestsStillPick()
    {
        var picker = await FakeEndpointPicker.StartAsync();
        var port = new Uri(picker.Address).Port;
        picker.Answer = _ => PickerAnswer.Route(pool.B.Authority);
        await using var gateway = await GatewayHost.StartAsync(Settings(picker, pool.B.Authority, prestart: true));
        await WaitForIdleCallAsync(gateway, picker, "before");

        await picker.CrashAsync();
        await using var restarted = await FakeEndpointPicker.StartAsync(port);
        restarted.Answer = _ => PickerAnswer.Route(pool.B.Authority);

        // Every request after the restart is picked by the new picker: none fails on a call opened to the old one.
        for (var i = 0; i < 20; i++)
        {
            var (status, id) = await ChatAsync(gateway, $"after-{i}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Single(restarted.Streams, s => s.Headers.GetValueOrDefault("x-request-id") == id);
        }
    }

    [Fact]
    public async Task Shutdown_ClosesThePrestartedCalls()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        var gateway = await GatewayHost.StartAsync(Settings(pool.Picker, pool.A.Authority, prestart: true));
        try
        {
            await WaitForIdleCallAsync(gateway, pool.Picker, "shutdown");
        }
        finally
        {
            await gateway.DisposeAsync();
        }

        await Eventually.HoldsAsync(() => pool.Picker.OpenCalls == 0, TestTimeouts.Request, "the stopped gateway has no call to the picker open");
    }

    [Fact]
    public async Task OptionOff_OpensNoCallAhead()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await GatewayHost.StartAsync(Settings(pool.Picker, pool.A.Authority, prestart: false));
        await Eventually.HoldsAsync(() => pool.Picker.OpenCalls == 0, TestTimeouts.Request, "no call of an earlier test is still open");
        var calls = pool.Picker.CallsOpened;

        for (var i = 0; i < 10; i++)
        {
            var (status, _) = await ChatAsync(gateway, $"off-{i}");
            Assert.Equal(HttpStatusCode.OK, status);
        }

        // Exactly one call per request, each opened with its request's messages.
        Assert.Equal(calls + 10, pool.Picker.CallsOpened);
        Assert.Equal(0, pool.Picker.IdleCalls);
    }
}
