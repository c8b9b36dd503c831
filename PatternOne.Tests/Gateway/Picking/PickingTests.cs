using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using PatternOne.Tests.Gateway.Support;
using Keys = PatternOne.Gateway.GatewaySettings.Keys;

namespace PatternOne.Tests.Gateway.Picking;

public class PickingTests(PoolFixture pool) : IClassFixture<PoolFixture>
{
    private const string Chat = GatewayHost.Prefix + "/v1/chat/completions";

    private static StringContent ChatBody(string content = "hi", bool stream = false) => new(
        $$"""{"model":"Qwen/Qwen2.5-3B-Instruct","messages":[{"role":"user","content":"{{content}}"}]{{(stream ? ",\"stream\":true" : "")}}}""",
        Encoding.UTF8, "application/json");

    private async Task<GatewayHost> StartGatewayAsync(params (string Key, string? Value)[] extra) =>
        await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority, pool.B.Authority], extra));

    [Fact]
    public async Task ChatCompletion_GoesToTheEndpointThePickerNames()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.B.Authority);
        await using var gateway = await StartGatewayAsync();
        var before = pool.B.Requests.Count;

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("b", json.GetProperty("replica").GetString());
        Assert.Equal("/v1/chat/completions", json.GetProperty("path").GetString());
        Assert.Equal(before + 1, pool.B.Requests.Count);
        var seen = pool.B.Requests.Last();
        Assert.Equal("fake-picker", seen.Headers["x-picked-by"]);
        Assert.Equal("127.0.0.1", seen.Headers["x-forwarded-for"]);
        Assert.Equal("http", seen.Headers["x-forwarded-proto"]);
        Assert.Equal(GatewayHost.Prefix, seen.Headers["x-forwarded-prefix"]);
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), seen.Headers["x-request-id"]);
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task ClientsExpectContinue_IsAnsweredByTheGateway_AndNotForwarded()
    {
        // The gateway has the whole body before it picks, so a replica's 100 Continue has nothing left to gate; Envoy's
        // default (proxy_100_continue off) answers the client itself and strips the header too.
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await StartGatewayAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody(new string('p', 220_000)) };
        request.Headers.ExpectContinue = true;
        request.Headers.Add("x-request-id", "expects-continue");

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = pool.A.Requests.Single(r => r.Headers.TryGetValue("x-request-id", out var id) && id == "expects-continue");
        Assert.False(seen.Headers.ContainsKey("expect"), "the replica was asked for a 100 Continue");
        Assert.True(seen.Body.Length > 220_000, "the replica got the whole body");
    }

    [Fact]
    public async Task Picker_SeesEnvoyStyleHeadersAndTheBodyInChunks()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await StartGatewayAsync();
        var prompt = new string('p', 220_000);
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat + "?x=1") { Content = ChatBody(prompt) };
        request.Headers.Add("x-request-id", "req-42");
        request.Headers.Add("X-Custom", "Value");

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("req-42", response.Headers.GetValues("x-request-id").Single());
        var stream = pool.Picker.Streams.Last(s => s.Headers.TryGetValue("x-request-id", out var id) && id == "req-42");
        Assert.Equal("POST", stream.Headers[":method"]);
        Assert.Equal("/v1/chat/completions?x=1", stream.Headers[":path"]);
        Assert.Equal($"127.0.0.1:{gateway.HttpPort}", stream.Headers[":authority"]);
        Assert.Equal("Value", stream.Headers["x-custom"]);
        Assert.StartsWith("application/json", stream.Headers["content-type"]);
        Assert.Equal(Chat + "?x=1", stream.Headers["x-envoy-original-path"]);
        Assert.All(stream.Headers.Keys, k => Assert.Equal(k.ToLowerInvariant(), k));
        // The gateway keeps the body (it replays it on a retry), so the picker need not send it back.
        Assert.Equal(Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode.Streamed, stream.ProtocolConfig!.RequestBodyMode);
        Assert.True(stream.ProtocolConfig.SendBodyWithoutWaitingForHeaderResponse);
        var sent = await request.Content!.ReadAsByteArrayAsync();
        Assert.Equal(sent, stream.Body);
        Assert.Equal(sent.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), stream.Headers["content-length"]);
        Assert.True(stream.Chunks.Count >= 4);
        Assert.All(stream.Chunks, c => Assert.InRange(c.Length, 1, FakeEndpointPicker.ChunkLimit));
        Assert.True(stream.LastChunkHadEndOfStream);
    }

    [Fact]
    public async Task PickerBody_ReplacesTheOriginalBody()
    {
        var replacement = Encoding.UTF8.GetBytes("{\"model\":\"rewritten\",\"prompt\":\"" + new string('r', 130_000) + "\"}");
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority, replacement);
        await using var gateway = await StartGatewayAsync();

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = pool.A.Requests.Last();
        Assert.Equal(replacement, seen.Body);
        Assert.Equal(replacement.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), seen.Headers["content-length"]);
    }

    [Fact]
    public async Task ServedEndpoint_IsReportedToThePickerAndTheStreamEnds()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await StartGatewayAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody() };
        request.Headers.Add("x-request-id", "served-1");

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = pool.Picker.Streams.Last(s => s.Headers.GetValueOrDefault("x-request-id") == "served-1");
        await stream.Completed.Task.WaitAsync(TestTimeouts.Request);
        Assert.Equal(pool.A.Authority, stream.ServedEndpoint);
        Assert.Equal("200", stream.ResponseStatus);
        // By default the response headers are only reported (observability_mode): the client's response does not wait
        // for the picker, so the header change the fake picker sends anyway is not applied.
        Assert.True(stream.ResponseHeadersObserved);
        Assert.False(response.Headers.Contains("x-picker-response-phase"));
    }

    [Fact]
    public async Task ResponseHeadersTimeout_Set_WaitsForThePickersResponseHeaderChanges()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await StartGatewayAsync((Keys.PoolResponseHeadersTimeout(0), "00:00:10"));
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody() };
        request.Headers.Add("x-request-id", "served-2");

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("seen", response.Headers.GetValues("x-picker-response-phase").Single());
        var stream = pool.Picker.Streams.Last(s => s.Headers.GetValueOrDefault("x-request-id") == "served-2");
        await stream.Completed.Task.WaitAsync(TestTimeouts.Request);
        Assert.False(stream.ResponseHeadersObserved);
        Assert.Equal(pool.A.Authority, stream.ServedEndpoint);
    }

    [Fact]
    public async Task ImmediateResponse_PassesThroughWithStatusHeadersAndBody()
    {
        pool.Picker.Answer = _ => PickerAnswer.Immediate(429, """{"error":{"message":"saturated","type":"rate_limit","param":null,"code":null}}""",
            ("x-llm-d-request-dropped-reason", "rejected-saturated"), ("retry-after", "1"));
        await using var gateway = await StartGatewayAsync();

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("rejected-saturated", response.Headers.GetValues("x-llm-d-request-dropped-reason").Single());
        Assert.Equal("1", response.Headers.GetValues("retry-after").Single());
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("saturated", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task ImmediateResponse_WithoutBody_GetsAnOpenAiError()
    {
        pool.Picker.Answer = _ => PickerAnswer.Immediate(503, "");
        await using var gateway = await StartGatewayAsync();

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task PickerDown_FailOpen_AnswersFromTheGatewaysOwnView()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings("http://" + PoolFixture.ClosedEndpoint(), [pool.A.Authority]));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replica").GetString());
    }

    [Fact]
    public async Task PickerDown_FailClose_Answers503WithAnOpenAiError()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings("http://" + PoolFixture.ClosedEndpoint(), [pool.A.Authority],
            (Keys.PoolFailureMode(0), "FailClose")));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("endpoint_picker_unavailable", error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PickerSlowerThanTimeout_FailOpen_StillAnswers()
    {
        pool.Picker.Answer = _ => PickerAnswer.Hang();
        await using var gateway = await StartGatewayAsync((Keys.PoolPickerTimeout(0), "00:00:00.300"));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task PickerSlowerThanTimeout_FailClose_Answers503()
    {
        pool.Picker.Answer = _ => PickerAnswer.Hang();
        await using var gateway = await StartGatewayAsync((Keys.PoolPickerTimeout(0), "00:00:00.300"), (Keys.PoolFailureMode(0), "FailClose"));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task PickerNamingNoUsableEndpoint_AppliesTheFailureMode()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route("not-an-endpoint");
        await using var gateway = await StartGatewayAsync((Keys.PoolFailureMode(0), "FailClose"));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Models_GoesToAReadyEndpointWithoutThePicker()
    {
        pool.Picker.Answer = _ => throw new InvalidOperationException("the picker must not be asked");
        await using var gateway = await StartGatewayAsync();
        var streams = pool.Picker.Streams.Count;
        var calls = pool.Picker.CallsOpened;

        using var response = await gateway.Client.GetAsync(GatewayHost.Prefix + "/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/v1/models", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("path").GetString());
        Assert.Equal(streams, pool.Picker.Streams.Count);
        Assert.Equal(calls, pool.Picker.CallsOpened);
    }
}
