using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PatternOne.Gateway;
using PatternOne.Gateway.Observability;
using PatternOne.ServiceDefaults.Shutdown;
using PatternOne.Tests.Gateway.Support;
using Yarp.ReverseProxy.Forwarder;

namespace PatternOne.Tests.Gateway.Forwarding;

public class ForwardingTests(PoolFixture pool) : IClassFixture<PoolFixture>
{
    private const string Chat = GatewayHost.Prefix + "/v1/chat/completions";

    private static StringContent ChatBody(bool stream = false) => new(
        $$"""{"model":"Qwen/Qwen2.5-3B-Instruct","messages":[{"role":"user","content":"hi"}]{{(stream ? ",\"stream\":true" : "")}}}""",
        Encoding.UTF8, "application/json");

    /// <summary>A streamed chat call through a gateway whose picker routes to <paramref name="replica"/>, read as lines.</summary>
    private async Task<StreamedCall> StreamChatAsync(FakeReplica replica)
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(replica.Authority);
        var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, []));
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody(stream: true) };
        var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Request);
        return new StreamedCall(gateway, response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    private sealed record StreamedCall(GatewayHost Gateway, HttpResponseMessage Response, StreamReader Reader) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Reader.Dispose();
            Response.Dispose();
            await Gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task ConnectionRefused_TriesTheNextEndpointOfThePickersList()
    {
        var dead = PoolFixture.ClosedEndpoint();
        pool.Picker.Answer = _ => PickerAnswer.Route($"{dead},{pool.B.Authority}");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority]));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("b", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replica").GetString());
    }

    [Fact]
    public async Task PickedEndpointDead_FallsBackToTheGatewaysOwnView()
    {
        var dead = PoolFixture.ClosedEndpoint();
        pool.Picker.Answer = _ => PickerAnswer.Route(dead);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [dead, pool.A.Authority]));

        for (var i = 0; i < 4; i++)
        {
            using var response = await gateway.Client.PostAsync(Chat, ChatBody());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task ConnectionResetBeforeResponse_IsRetriedOnAnotherEndpoint()
    {
        await using var resetting = await FakeReplica.StartAsync("resetting");
        resetting.ResetConnections = true;
        pool.Picker.Answer = _ => PickerAnswer.Route($"{resetting.Authority},{pool.A.Authority}");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, []));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(resetting.Requests);
        Assert.Equal("a", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replica").GetString());
    }

    [Fact]
    public async Task EveryEndpointDead_Answers502WithAnOpenAiError()
    {
        var dead = PoolFixture.ClosedEndpoint();
        pool.Picker.Answer = _ => PickerAnswer.Route(dead);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, []));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody());

        await OpenAiErrorAssert.HasCodeAsync(response, HttpStatusCode.BadGateway, "upstream_unavailable");
    }

    [Fact]
    public async Task NoReadyEndpoint_FailOpen_Answers503()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings("http://" + PoolFixture.ClosedEndpoint(), [PoolFixture.ClosedEndpoint()]));

        using var first = await gateway.Client.PostAsync(Chat, ChatBody());
        using var second = await gateway.Client.PostAsync(Chat, ChatBody());

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        await OpenAiErrorAssert.HasCodeAsync(second, HttpStatusCode.ServiceUnavailable, "no_ready_endpoints");
    }

    [Fact]
    public async Task Sse_FirstChunkArrivesBeforeTheReplicaSendsTheLast()
    {
        await using var replica = await FakeReplica.StartAsync("streaming");
        await using var call = await StreamChatAsync(replica);
        var (response, reader) = (call.Response, call.Reader);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("data: {\"chunk\":1}", await reader.ReadLineAsync().WaitAsync(TestTimeouts.Request));
        Assert.False(replica.StreamRelease.Task.IsCompleted);
        replica.StreamRelease.SetResult();
        var rest = await reader.ReadToEndAsync().WaitAsync(TestTimeouts.Request);
        Assert.Contains("data: {\"chunk\":2}", rest);
        Assert.Contains("data: [DONE]", rest);
    }

    [Fact]
    public async Task Sse_ReplicaFailsMidStream_ClientGetsAnErrorEventThenAnAbortedResponse()
    {
        await using var replica = await FakeReplica.StartAsync("crashing");
        replica.CutStreams = true;
        await using var call = await StreamChatAsync(replica);
        var (response, reader) = (call.Response, call.Reader);
        var lines = new List<string> { (await reader.ReadLineAsync().WaitAsync(TestTimeouts.Request))! };
        replica.StreamRelease.SetResult();
        var ended = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync().WaitAsync(TestTimeouts.Request) is { } line)
            {
                lines.Add(line);
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var error = FirstChunkThenOneErrorEvent(lines);
        Assert.Equal("upstream_stream_cut", error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Contains(replica.Authority, error.GetProperty("message").GetString());
        Assert.DoesNotContain("data: [DONE]", lines);
        Assert.NotNull(ended);

        // Counted as the replica's failure, under a name that says so.
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{call.Gateway.MetricsPort}"), Timeout = TestTimeouts.Request };
        await Eventually.HoldsAsync(async () => (await metrics.GetStringAsync("/stats/prometheus")).Split('\n').Any(l =>
            l.StartsWith("gateway_upstream_failures_total{", StringComparison.Ordinal)
            && l.Contains("error=\"cut_mid_response\"", StringComparison.Ordinal)
            && l.Contains($"upstream=\"{replica.Authority}\"", StringComparison.Ordinal)
            && !l.EndsWith(" 0", StringComparison.Ordinal)), TestTimeouts.Request, "the cut is counted as the replica's failure");
    }

    [Fact]
    public async Task Sse_GatewayStopping_EndsAStreamStillOpenAtTheDrainTimeout_WithAnErrorEventThenAnAbortedResponse()
    {
        await using var replica = await FakeReplica.StartAsync("endless");
        await using var call = await StreamChatAsync(replica);
        var lines = new List<string> { (await call.Reader.ReadLineAsync().WaitAsync(TestTimeouts.Request))! };

        // SIGTERM: the replica never ends its stream, so the gateway's drain timeout (2 s in tests) must.
        var stopping = call.Gateway.App.StopAsync();
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await call.Reader.ReadLineAsync().WaitAsync(TestTimeouts.Request) is { } line)
            {
                lines.Add(line);
            }
        });
        await stopping.WaitAsync(TestTimeouts.Start);

        var error = FirstChunkThenOneErrorEvent(lines);
        Assert.Equal("gateway_shutting_down", error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain("data: [DONE]", lines);
        Assert.False(replica.StreamRelease.Task.IsCompleted);
    }

    [Fact]
    public async Task NonStreaming_GatewayStopping_AnswersARequestStillWaitingAtTheDrainTimeoutWith503()
    {
        await using var hung = await FakeReplica.StartAsync("still-generating");
        hung.HangBeforeAnswering = true;
        pool.Picker.Answer = _ => PickerAnswer.Route(hung.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [hung.Authority]));
        var sent = gateway.Client.PostAsync(Chat, ChatBody(stream: false));
        await Eventually.HoldsAsync(() => !hung.Requests.IsEmpty, TestTimeouts.Request, "the replica got the request");

        // SIGTERM: the replica never answers, so the gateway's drain timeout (2 s in tests) ends the wait.
        var stopping = gateway.App.StopAsync();
        using var response = await sent.WaitAsync(TestTimeouts.Request);
        await stopping.WaitAsync(TestTimeouts.Start);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("gateway_shutting_down", error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
    }

    /// <summary>
    /// A client that left while its request waited for the replica, seen by the handler only once the drain deadline
    /// has passed too (the forwarder's return delayed to then: a loaded gateway resuming the request late). Nobody is
    /// there to get a 503, so the request counts as the client's abort (499), not as one the gateway refused — in the
    /// gateway's metric and in ASP.NET Core's own. (Before the handler checked for the gone client first, the 503's
    /// write threw on the aborted request and the catch counted 499 too: this guards the outcome, not that order.)
    /// </summary>
    [Fact]
    public async Task GatewayStopping_ClientGoneBeforeTheDrainDeadline_CountsAsAClientAbort_NotAShutdownRefusal()
    {
        await using var hung = await FakeReplica.StartAsync("still-generating");
        hung.HangBeforeAnswering = true;
        pool.Picker.Answer = _ => PickerAnswer.Route(hung.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [hung.Authority]),
            ReturnsAtTheDrainDeadline.Replace);
        using var requests = new MetricCollector<long>(gateway.App.Services.GetRequiredService<IMeterFactory>(), GatewayMetrics.MeterName, "gateway.requests");
        using var hosting = new MetricCollector<double>(gateway.App.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Hosting", "http.server.request.duration");
        using var leave = new CancellationTokenSource();
        var sent = gateway.Client.PostAsync(Chat, ChatBody(stream: false), leave.Token);
        await Eventually.HoldsAsync(() => !hung.Requests.IsEmpty, TestTimeouts.Request, "the replica got the request");

        leave.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sent.WaitAsync(TestTimeouts.Request));
        await gateway.App.StopAsync().WaitAsync(TestTimeouts.Start);

        var recorded = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal(GatewayRequestHandler.ClientClosedRequest, recorded.Tags["status"]);
        var served = Assert.Single(hosting.GetMeasurementSnapshot());
        Assert.Equal(GatewayRequestHandler.ClientClosedRequest, served.Tags["http.response.status_code"]);
    }

    /// <summary>The real forwarder, whose result the handler sees only once the gateway's drain deadline has passed.</summary>
    private sealed class ReturnsAtTheDrainDeadline(IHttpForwarder inner, DrainState drain) : IHttpForwarder
    {
        public static void Replace(IServiceCollection services)
        {
            var real = services.Last(d => d.ServiceType == typeof(IHttpForwarder));
            services.Remove(real);
            services.AddSingleton<IHttpForwarder>(sp => new ReturnsAtTheDrainDeadline(
                (IHttpForwarder)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!), sp.GetRequiredService<DrainState>()));
        }

        public ValueTask<ForwarderError> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient,
            ForwarderRequestConfig requestConfig, HttpTransformer transformer) =>
            SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, CancellationToken.None);

        public async ValueTask<ForwarderError> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient,
            ForwarderRequestConfig requestConfig, HttpTransformer transformer, CancellationToken cancellationToken)
        {
            var error = await inner.SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, cancellationToken);
            var deadline = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (drain.Deadline.Register(deadline.SetResult))
            {
                await deadline.Task;
            }

            return error;
        }
    }

    [Fact]
    public async Task RequestOnAReplicaFoundHung_MovesToTheNextReplica_BeforeAnyByteReachedTheClient()
    {
        await using var hung = await FakeReplica.StartAsync("hung");
        hung.HangBeforeAnswering = true;
        pool.Picker.Answer = _ => PickerAnswer.Route($"{hung.Authority},{pool.A.Authority}");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [hung.Authority, pool.A.Authority],
            (GatewaySettings.Keys.HealthCheckInterval, "00:00:00.100"), (GatewaySettings.Keys.HealthCheckTimeout, "00:00:00.500"),
            (GatewaySettings.Keys.UnresponsiveAfter, "00:00:01")));

        var sent = gateway.Client.PostAsync(Chat, ChatBody(stream: false));
        await Eventually.HoldsAsync(() => !hung.Requests.IsEmpty, TestTimeouts.Request, "the hung replica got the request");
        hung.HealthHangs = true;
        using var response = await sent.WaitAsync(TestTimeouts.Request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(pool.A.Name, response.Headers.GetValues("x-replica").Single());
        await AssertUpstreamFailureCountedAsync(gateway, hung.Authority, "no_response_in_time");
    }

    [Fact]
    public async Task ReplicaSilentPastTheHeadersTimeout_RequestMovesToTheNextReplica()
    {
        await using var hung = await FakeReplica.StartAsync("silent");
        hung.HangBeforeAnswering = true;
        pool.Picker.Answer = _ => PickerAnswer.Route($"{hung.Authority},{pool.A.Authority}");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [],
            (GatewaySettings.Keys.HeadersTimeout, "00:00:00.300")));

        using var response = await gateway.Client.PostAsync(Chat, ChatBody(stream: false)).WaitAsync(TestTimeouts.Request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(pool.A.Name, response.Headers.GetValues("x-replica").Single());
        Assert.Single(hung.Requests);
        await AssertUpstreamFailureCountedAsync(gateway, hung.Authority, "no_response_in_time");
    }

    [Fact]
    public async Task Sse_ReplicaFoundHungMidStream_ClientGetsAnErrorEventThenAnAbortedResponse()
    {
        await using var hung = await FakeReplica.StartAsync("hung-streaming");
        pool.Picker.Answer = _ => PickerAnswer.Route(hung.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [hung.Authority],
            (GatewaySettings.Keys.HealthCheckInterval, "00:00:00.100"), (GatewaySettings.Keys.HealthCheckTimeout, "00:00:00.500"),
            (GatewaySettings.Keys.UnresponsiveAfter, "00:00:01")));
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody(stream: true) };

        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Request);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body);
        var lines = new List<string> { (await reader.ReadLineAsync().WaitAsync(TestTimeouts.Request))! };
        // The replica now holds the rest of the stream and stops answering its probe, as under SIGSTOP.
        hung.HealthHangs = true;
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync().WaitAsync(TestTimeouts.Request) is { } line)
            {
                lines.Add(line);
            }
        });

        var error = FirstChunkThenOneErrorEvent(lines);
        Assert.Equal("upstream_stream_cut", error.GetProperty("code").GetString());
        Assert.Contains("stopped responding", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await hung.StreamAborted.Task.WaitAsync(TestTimeouts.Request);
    }

    /// <summary>The lines of a stream that carried its first chunk, then one error event and nothing else: that event's <c>error</c>.</summary>
    private static JsonElement FirstChunkThenOneErrorEvent(List<string> lines)
    {
        Assert.Equal("data: {\"chunk\":1}", lines[0]);
        var events = lines.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..]).ToList();
        Assert.Equal(2, events.Count);
        return JsonDocument.Parse(events[1]).RootElement.GetProperty("error");
    }

    private static async Task AssertUpstreamFailureCountedAsync(GatewayHost gateway, string upstream, string kind)
    {
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.MetricsPort}"), Timeout = TestTimeouts.Request };
        await Eventually.HoldsAsync(async () => (await metrics.GetStringAsync("/stats/prometheus")).Split('\n').Any(l =>
            l.StartsWith("gateway_upstream_failures_total{", StringComparison.Ordinal)
            && l.Contains($"error=\"{kind}\"", StringComparison.Ordinal)
            && l.Contains($"upstream=\"{upstream}\"", StringComparison.Ordinal)
            && !l.EndsWith(" 0", StringComparison.Ordinal)), TestTimeouts.Request, $"the failure is counted as {kind}");
    }

    [Theory]
    [InlineData("GET", "/metrics")]
    [InlineData("POST", "/tokenize")]
    [InlineData("POST", "/detokenize")]
    [InlineData("GET", "/load")]
    [InlineData("GET", "/version")]
    [InlineData("GET", "/ping")]
    [InlineData("POST", "/reset_prefix_cache")]
    [InlineData("POST", "/sim/faults")]
    [InlineData("POST", "/v1/load_lora_adapter")]
    public async Task OperationalPath_Gets404ThroughThePublicPrefix_AndNeverReachesAReplica(string method, string path)
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority]));
        var reached = pool.A.Requests.Count;
        var picks = pool.Picker.Streams.Count;
        var calls = pool.Picker.CallsOpened;
        using var request = new HttpRequestMessage(new HttpMethod(method), GatewayHost.Prefix + path);
        if (method == "POST")
        {
            request.Content = new StringContent("""{"model":"Qwen/Qwen2.5-3B-Instruct","prompt":"hi"}""", Encoding.UTF8, "application/json");
        }

        using var response = await gateway.Client.SendAsync(request).WaitAsync(TestTimeouts.Request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("not_found", error.GetProperty("code").GetString());
        Assert.Equal(reached, pool.A.Requests.Count);
        Assert.Equal(picks, pool.Picker.Streams.Count);
        Assert.Equal(calls, pool.Picker.CallsOpened);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/health")]
    public async Task PublicPath_IsForwarded(string path)
    {
        await using var replica = await FakeReplica.StartAsync("public");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [replica.Authority]));

        using var response = await gateway.Client.GetAsync(GatewayHost.Prefix + path).WaitAsync(TestTimeouts.Request);

        // On the public listener the gateway itself only ever answers errors: a 200 is the replica's.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OperationalPath_IsForwarded_WhenTheRouteExposesIt()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority],
            ("Gateway:Routes:0:ExposeOperationalEndpoints", "true")));

        using var response = await gateway.Client.GetAsync(GatewayHost.Prefix + "/metrics").WaitAsync(TestTimeouts.Request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(pool.A.Requests, r => r.Path == "/metrics");
    }

    [Fact]
    public async Task ClientCancellation_AbortsTheUpstreamRequest()
    {
        await using var replica = await FakeReplica.StartAsync("aborted");
        pool.Picker.Answer = _ => PickerAnswer.Route(replica.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, []));
        using var cancellation = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody(stream: true) };

        var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation.Token).WaitAsync(TestTimeouts.Request);
        var body = await response.Content.ReadAsStreamAsync(cancellation.Token);
        var first = new byte[8];
        Assert.True(await body.ReadAsync(first, cancellation.Token).AsTask().WaitAsync(TestTimeouts.Request) > 0);
        cancellation.Cancel();
        response.Dispose();

        await replica.StreamAborted.Task.WaitAsync(TestTimeouts.Request);
    }

    [Fact]
    public async Task TraceContext_ReachesThePickerAndTheReplica()
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, []));
        // The test's own HttpClient is instrumented too (same process): it must send our traceparent untouched.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = gateway.Client.BaseAddress };
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody() };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        request.Headers.Add("x-request-id", "trace-1");

        using var response = await client.SendAsync(request).WaitAsync(TestTimeouts.Request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var replicaTrace = pool.A.Requests.Last(r => r.Headers.GetValueOrDefault("x-request-id") == "trace-1").Headers["traceparent"];
        var pickerTrace = pool.Picker.Streams.Last(s => s.Headers.GetValueOrDefault("x-request-id") == "trace-1").Headers["traceparent"];
        Assert.Equal(traceId, replicaTrace.Split('-')[1]);
        Assert.Equal(traceId, pickerTrace.Split('-')[1]);
    }

    [Fact]
    public async Task UnknownPath_Gets404WithAnOpenAiError()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority]));

        using var response = await gateway.Client.PostAsync("/v1/chat/completions", ChatBody());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("not_found", error.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OversizedBody_Gets413WithAnOpenAiError(bool chunked)
    {
        pool.Picker.Answer = _ => PickerAnswer.Route(pool.A.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority],
            (GatewaySettings.Keys.MaxRequestBodySize, "10000")));
        var json = "{\"prompt\":\"" + new string('x', 20_000) + "\"}";
        HttpContent content = chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            : new StringContent(json, Encoding.UTF8, "application/json");
        if (chunked)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, GatewayHost.Prefix + "/v1/completions") { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await gateway.Client.SendAsync(request);

        await OpenAiErrorAssert.HasCodeAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Theory]
    [InlineData("{\"model\": \"m\", \"messages\": [")]
    [InlineData("not json at all")]
    [InlineData("")]
    public async Task MalformedJson_Gets400WithAnOpenAiError_AndNeverReachesThePicker(string body)
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [pool.A.Authority]));
        var streams = pool.Picker.Streams.Count;
        var calls = pool.Picker.CallsOpened;

        using var response = await gateway.Client.PostAsync(Chat, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("invalid_json", error.GetProperty("code").GetString());
        Assert.Equal(streams, pool.Picker.Streams.Count);
        Assert.Equal(calls, pool.Picker.CallsOpened);
    }
}
