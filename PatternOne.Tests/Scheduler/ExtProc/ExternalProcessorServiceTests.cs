using System.Text;
using System.Text.Json;
using Envoy.Service.ExtProc.V3;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace PatternOne.Tests.Scheduler.ExtProc;

public sealed class ExternalProcessorServiceTests : IAsyncLifetime
{
    private static readonly string[] PoolEndpoints = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"];
    private SchedulerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SchedulerTestHost.StartAsync(PoolEndpoints, new Dictionary<string, string?>
    {
        ["InferencePool:Objectives:batch:Priority"] = "-1",
        ["InferencePool:Objectives:interactive:Priority"] = "10",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Post_AnswersHeadersWithDestinationAndMetadata_ThenReemitsTheBodyInLimitedChunks()
    {
        _host.SetMetrics();
        var body = ChatBody(systemPrompt: new string('s', 150_000), question: "What is 2+2?");
        await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);

        await envoy.SendRequestHeadersAsync("POST", "/v1/chat/completions", endOfStream: false);
        await envoy.SendBodyAsync(body, chunkSize: 100_000);

        var headers = await envoy.ReceiveAsync();
        Assert.NotNull(headers);
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers.ResponseCase);
        var common = headers.RequestHeaders.Response;
        Assert.True(common.ClearRouteCache);
        var destination = EnvoyClient.Header(common.HeaderMutation, ExtProcNames.DestinationEndpoint);
        var picked = destination.Split(',');
        Assert.Equal(3, picked.Length);
        Assert.All(picked, address => Assert.Contains(address, PoolEndpoints));
        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), EnvoyClient.Header(common.HeaderMutation, "Content-Length"));
        var lb = headers.DynamicMetadata.Fields[ExtProcNames.LbNamespace].StructValue;
        Assert.Equal(destination, lb.Fields[ExtProcNames.DestinationEndpoint].StringValue);

        var reemitted = new List<StreamedBodyResponse>();
        while (reemitted.LastOrDefault()?.EndOfStream != true)
        {
            var message = await envoy.ReceiveAsync();
            Assert.NotNull(message);
            Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, message.ResponseCase);
            reemitted.Add(message.RequestBody.Response.BodyMutation.StreamedResponse);
        }

        Assert.All(reemitted, chunk => Assert.InRange(chunk.Body.Length, 1, ExtProcNames.BodyByteLimit));
        Assert.Equal(body, reemitted.SelectMany(chunk => chunk.Body.ToByteArray()).ToArray());
        Assert.Single(reemitted, chunk => chunk.EndOfStream);

        var primary = _host.Pool.Find(picked[0])!;
        Assert.Equal(1, primary.InFlightRequests);

        await envoy.SendResponseHeadersAsync(servedEndpoint: picked[0], extraHeaders: ("content-type", "text/event-stream"));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseHeaders, (await envoy.ReceiveAsync())!.ResponseCase);

        foreach (var (chunk, last) in new[] { ("data: {\"x\":1}\n\n", false), ("data: [DONE]\n\n", true) })
        {
            await envoy.SendAsync(new ProcessingRequest { ResponseBody = new HttpBody { Body = ByteString.CopyFromUtf8(chunk), EndOfStream = last } });
            var echoed = await envoy.ReceiveAsync();
            Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseBody, echoed!.ResponseCase);
            Assert.Equal(chunk, echoed.ResponseBody.Response.BodyMutation.StreamedResponse.Body.ToStringUtf8());
            Assert.Equal(last, echoed.ResponseBody.Response.BodyMutation.StreamedResponse.EndOfStream);
        }

        Assert.Equal(0, primary.InFlightRequests);
        await envoy.CompleteAsync();
        Assert.Null(await envoy.ReceiveAsync());
    }

    [Fact]
    public async Task StreamedMode_AnswersEveryBodyChunkWithoutSendingItBack()
    {
        _host.SetMetrics();
        var body = ChatBody(systemPrompt: new string('s', 150_000), question: "What is 2+2?");
        await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);
        var protocol = new ProtocolConfiguration
        {
            RequestBodyMode = Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode.Streamed,
            SendBodyWithoutWaitingForHeaderResponse = true,
        };

        await envoy.SendRequestHeadersAsync("POST", "/v1/chat/completions", endOfStream: false, protocol);
        await envoy.SendBodyAsync(body, chunkSize: 40_000);

        var headers = await envoy.ReceiveAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers!.ResponseCase);
        var destination = EnvoyClient.Header(headers.RequestHeaders.Response.HeaderMutation, ExtProcNames.DestinationEndpoint);
        Assert.Contains(destination.Split(',')[0], PoolEndpoints);
        Assert.DoesNotContain(headers.RequestHeaders.Response.HeaderMutation.SetHeaders, h => h.Header.Key == "Content-Length");
        var chunks = (body.Length + 39_999) / 40_000;
        for (var i = 0; i < chunks; i++)
        {
            var answer = await envoy.ReceiveAsync();
            Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, answer!.ResponseCase);
            Assert.Null(answer.RequestBody.Response.BodyMutation);
        }

        await envoy.SendResponseHeadersAsync(endOfStream: true);
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseHeaders, (await envoy.ReceiveAsync())!.ResponseCase);
        await envoy.CompleteAsync();
        Assert.Null(await envoy.ReceiveAsync());
    }

    [Fact]
    public async Task ServedFallback_MovesTheInFlightCount()
    {
        _host.SetMetrics();
        await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);
        await envoy.SendRequestHeadersAsync("POST", "/v1/completions", endOfStream: false);
        await envoy.SendBodyAsync(Encoding.UTF8.GetBytes("""{"model":"m","prompt":"hello there"}"""), chunkSize: 10);
        var picked = EnvoyClient.PickedEndpoints((await envoy.ReceiveAsync())!);
        while (!(await envoy.ReceiveAsync())!.RequestBody.Response.BodyMutation.StreamedResponse.EndOfStream)
        {
        }

        await envoy.SendResponseHeadersAsync(servedEndpoint: picked[1]);
        await envoy.ReceiveAsync();

        Assert.Equal(0, InFlight(picked[0]));
        Assert.Equal(1, InFlight(picked[1]));
        await HalfCloseEndsTheRequestAsync(envoy, picked[1]);
    }

    [Fact]
    public async Task ResponseHeadersInObservabilityMode_AreNotAnswered_AndStillMoveAndEndTheInFlightCount()
    {
        // Our gateway's default response phase: response headers with observability_mode (no answer expected), then the
        // half-close when the response is done.
        _host.SetMetrics();
        await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);
        await envoy.SendRequestHeadersAsync("POST", "/v1/completions", endOfStream: false,
            new ProtocolConfiguration { RequestBodyMode = Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode.Streamed, ResponseBodyMode = Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode.None });
        await envoy.SendBodyAsync(Encoding.UTF8.GetBytes("""{"model":"m","prompt":"hello there"}"""), chunkSize: 1_000);
        var picked = EnvoyClient.PickedEndpoints((await envoy.ReceiveAsync())!);
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, (await envoy.ReceiveAsync())!.ResponseCase);
        Assert.Equal(1, InFlight(picked[0]));

        await envoy.SendResponseHeadersAsync(servedEndpoint: picked[1], observabilityMode: true);
        await Eventually.HoldsAsync(() => InFlight(picked[1]) == 1, SchedulerTestHost.Timeout, "the served endpoint takes the in-flight count");
        Assert.Equal(0, InFlight(picked[0]));

        // Nothing answered the response headers: the next thing on the stream is its end.
        await HalfCloseEndsTheRequestAsync(envoy, picked[1]);
    }

    [Fact]
    public async Task Get_WithEndOfStreamOnHeaders_IsAnsweredAtOnceWithOneEndpoint()
    {
        await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);

        await envoy.SendRequestHeadersAsync("GET", "/v1/models", endOfStream: true);
        var response = await envoy.ReceiveAsync();

        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, response!.ResponseCase);
        var destination = EnvoyClient.Header(response.RequestHeaders.Response.HeaderMutation, ExtProcNames.DestinationEndpoint);
        Assert.Contains(destination, PoolEndpoints);
        Assert.Equal(destination, response.DynamicMetadata.Fields[ExtProcNames.LbNamespace].StructValue.Fields[ExtProcNames.DestinationEndpoint].StringValue);
    }

    [Fact]
    public async Task ProxyAnnouncingNoRequestBody_IsAnsweredOnHeaders_AndABodyIsPassedThrough()
    {
        await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);

        await envoy.SendAsync(new ProcessingRequest
        {
            RequestHeaders = new HttpHeaders { Headers = EnvoyClient.HeaderMap((":method", "POST"), (":path", "/v1/completions")) },
            ProtocolConfig = new ProtocolConfiguration { RequestBodyMode = Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode.None },
        });
        var headers = await envoy.ReceiveAsync();
        await envoy.SendAsync(new ProcessingRequest { RequestBody = new HttpBody { Body = ByteString.CopyFromUtf8("{}"), EndOfStream = true } });
        var body = await envoy.ReceiveAsync();

        Assert.Contains(EnvoyClient.Header(headers!.RequestHeaders.Response.HeaderMutation, ExtProcNames.DestinationEndpoint), PoolEndpoints);
        Assert.Equal("{}", body!.RequestBody.Response.BodyMutation.StreamedResponse.Body.ToStringUtf8());
    }

    [Fact]
    public async Task SubsetHint_RestrictsThePick()
    {
        _host.SetMetrics();

        await using var envoy = await SendCompletionAsync(EnvoyClient.SubsetHint("127.0.0.1:2"));
        var response = await envoy.ReceiveAsync();

        Assert.Equal("127.0.0.1:2", EnvoyClient.Header(response!.RequestHeaders.Response.HeaderMutation, ExtProcNames.DestinationEndpoint));
    }

    [Fact]
    public async Task UnparsableBody_Gets400()
    {
        _host.SetMetrics();
        await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);

        await envoy.SendRequestHeadersAsync("POST", "/v1/chat/completions", endOfStream: false);
        await envoy.SendBodyAsync(Encoding.UTF8.GetBytes("""{"model": "m", "messages": [ """), 1024);

        var immediate = await AssertImmediateAsync(envoy, 400);
        Assert.DoesNotContain(immediate.Headers.SetHeaders, h => h.Header.Key == ExtProcNames.DroppedReasonHeader);
        Assert.Equal("invalid_request_error", ErrorField(immediate, "type"));
        Assert.Null(await envoy.ReceiveAsync());
    }

    [Theory]
    [InlineData(ExtProcNames.ObjectiveHeader)]
    [InlineData(ExtProcNames.LegacyObjectiveHeader)]
    public async Task SaturatedPool_RefusesASheddableRequestWith429_AndServesOthers(string objectiveHeader)
    {
        _host.SetMetrics(waiting: 50);

        await using var sheddable = await SendCompletionAsync((objectiveHeader, "batch"));
        var immediate = await AssertImmediateAsync(sheddable, 429);
        Assert.Equal(ExtProcNames.ReasonSaturated, EnvoyClient.Header(immediate.Headers, ExtProcNames.DroppedReasonHeader));
        Assert.Equal("1", EnvoyClient.Header(immediate.Headers, "retry-after"));
        Assert.Equal("rate_limit_error", ErrorField(immediate, "type"));

        foreach (var headers in new[] { Array.Empty<(string, string)>(), [(objectiveHeader, "interactive")], [(objectiveHeader, "not-configured")] })
        {
            await using var envoy = await SendCompletionAsync(headers);
            var response = await envoy.ReceiveAsync();
            Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, response!.ResponseCase);
            Assert.Contains(EnvoyClient.PickedEndpoints(response)[0], PoolEndpoints);
        }
    }

    [Fact]
    public async Task StaleMetrics_WithPolicyIgnore_StillPick()
    {
        _host.SetMetrics();
        _host.Time.Advance(TimeSpan.FromSeconds(5));

        await using var envoy = await SendCompletionAsync(("x-llm-d-inference-objective", "batch"));
        var response = await envoy.ReceiveAsync();

        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, response!.ResponseCase);
    }

    [Fact]
    public async Task InFlightCount_RisesOnPick_AndFallsAtTheResponsesEndOfStream()
    {
        await using var request = await OneRequestInFlightAsync();
        var (envoy, endpoint) = request;

        await envoy.SendResponseHeadersAsync();
        await envoy.ReceiveAsync();
        Assert.Equal(1, endpoint.InFlightRequests);
        await envoy.SendAsync(new ProcessingRequest { ResponseBody = new HttpBody { Body = ByteString.CopyFromUtf8("{}"), EndOfStream = true } });
        await envoy.ReceiveAsync();

        Assert.Equal(0, endpoint.InFlightRequests);
    }

    [Fact]
    public async Task InFlightCount_FallsWhenTheStreamIsReset()
    {
        await using var request = await OneRequestInFlightAsync();
        var (envoy, endpoint) = request;

        envoy.Reset();

        await Eventually.HoldsAsync(() => endpoint.InFlightRequests == 0, SchedulerTestHost.Timeout, "the reset stream completes its request");
    }

    [Fact]
    public async Task InFlightCount_FallsWhenTheClientGoesAwayBeforeTheResponse()
    {
        await using var request = await OneRequestInFlightAsync();
        var (envoy, endpoint) = request;

        // The downstream client cancelled: the proxy ends its side of the stream without any response phase.
        await envoy.CompleteAsync();

        Assert.Null(await envoy.ReceiveAsync());
        await Eventually.HoldsAsync(() => endpoint.InFlightRequests == 0, SchedulerTestHost.Timeout, "the cancelled request completes");
    }

    [Fact]
    public async Task InFlightEntry_WhoseCompletionNeverComes_ExpiresAfterTheTtl()
    {
        await using var request = await OneRequestInFlightAsync();
        var endpoint = request.Endpoint;

        _host.Time.Advance(new PatternOne.Scheduler.SchedulerOptions().InFlightTtl - TimeSpan.FromSeconds(1));
        Assert.Equal(1, endpoint.InFlightRequests);
        _host.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, endpoint.InFlightRequests);
    }

    [Fact]
    public async Task SubsetOutsideThePool_Gets503WithDroppedReason()
    {
        _host.SetMetrics();

        await using var envoy = await SendCompletionAsync(EnvoyClient.SubsetHint("10.9.9.9:8000"));

        var immediate = await AssertImmediateAsync(envoy, 503);
        Assert.Equal(ExtProcNames.ReasonNoEndpoints, EnvoyClient.Header(immediate.Headers, ExtProcNames.DroppedReasonHeader));
    }

    [Fact]
    public async Task EmptyPool_Gets503_ForBodilessAndBodyRequests()
    {
        await using var empty = await SchedulerTestHost.StartAsync([]);

        await using (var envoy = new EnvoyClient(empty.ExtProcPort, SchedulerTestHost.Timeout))
        {
            await envoy.SendRequestHeadersAsync("GET", "/v1/models", endOfStream: true);
            var immediate = await AssertImmediateAsync(envoy, 503);
            Assert.Equal(ExtProcNames.ReasonNoEndpoints, EnvoyClient.Header(immediate.Headers, ExtProcNames.DroppedReasonHeader));
        }

        await using (var envoy = new EnvoyClient(empty.ExtProcPort, SchedulerTestHost.Timeout))
        {
            await envoy.SendRequestHeadersAsync("POST", "/v1/completions", endOfStream: false);
            await envoy.SendBodyAsync(Encoding.UTF8.GetBytes("""{"model":"m","prompt":"hi"}"""), 1024);
            await AssertImmediateAsync(envoy, 503);
        }
    }

    [Fact]
    public async Task SharedSystemPrompt_GoesToTheSameEndpoint()
    {
        _host.SetMetrics();
        var primaries = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await using var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);
            await envoy.SendRequestHeadersAsync("POST", "/v1/chat/completions", endOfStream: false);
            await envoy.SendBodyAsync(ChatBody(new string('p', 8_000), $"question {i}"), 4096);
            primaries.Add(EnvoyClient.PickedEndpoints((await envoy.ReceiveAsync())!)[0]);
        }

        Assert.Single(primaries.Distinct());
    }

    [Theory]
    [InlineData("")]
    [InlineData("readiness")]
    [InlineData(ExtProcNames.ServiceName)]
    public async Task GrpcHealth_ServesEveryUpstreamServiceName_OnceAnEndpointsMetricsWereScraped(string service)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_host.HealthPort}");
        var health = new Health.HealthClient(channel);
        async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(string name) =>
            (await health.CheckAsync(new HealthCheckRequest { Service = name }).ResponseAsync.WaitAsync(SchedulerTestHost.Timeout)).Status;

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(service));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync("liveness"));

        _host.SetMetrics();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(service));
    }

    [Fact]
    public async Task PrometheusEndpoint_ExportsUpstreamMetricNames()
    {
        _host.SetMetrics(waiting: 2);
        await using (var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout))
        {
            await envoy.SendRequestHeadersAsync("POST", "/v1/completions", endOfStream: false);
            await envoy.SendBodyAsync(Encoding.UTF8.GetBytes("""{"model":"m","prompt":"hi"}"""), 1024);
            await envoy.ReceiveAsync();
        }

        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{_host.MetricsPort}/metrics")).WaitAsync(SchedulerTestHost.Timeout);

        Assert.Contains("inference_objective_request_total{model_name=\"m\",target_model_name=\"m\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("inference_pool_ready_pods{name=\"qwen2-3b-pattern1\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("inference_pool_average_queue_size{name=\"qwen2-3b-pattern1\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("inference_extension_scheduler_e2e_duration_seconds_count 1", text, StringComparison.Ordinal);
        Assert.Contains("inference_extension_plugin_duration_seconds_count{extension_point=\"Scorer\",plugin_type=\"prefix-cache-scorer\",plugin_name=\"prefix-cache-scorer\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("inference_extension_scheduler_attempts_total{status=\"success\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("llm_d_epp_request_total{model_name=\"m\",target_model_name=\"m\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("llm_d_epp_ready_endpoints{name=\"qwen2-3b-pattern1\"} 3", text, StringComparison.Ordinal);
    }

    /// <summary>Sends a small completion request through a new stream; the caller reads the answer.</summary>
    private Task<EnvoyClient> SendCompletionAsync(params (string Key, string Value)[] headers) => SendCompletionAsync(bodyMetadata: null, headers);

    /// <summary>A completion's headers and body, as the gateway sends them; <paramref name="bodyMetadata"/> rides with the body (e.g. a subset hint).</summary>
    private async Task<EnvoyClient> SendCompletionAsync(Envoy.Config.Core.V3.Metadata? bodyMetadata, params (string Key, string Value)[] headers)
    {
        var envoy = new EnvoyClient(_host.ExtProcPort, SchedulerTestHost.Timeout);
        await envoy.SendRequestHeadersAsync("POST", "/v1/completions", endOfStream: false, metadata: null, headers);
        await envoy.SendBodyAsync(Encoding.UTF8.GetBytes("""{"model":"m","prompt":"hi"}"""), 1024, bodyMetadata);
        return envoy;
    }

    /// <summary>One completion picked with fresh metrics, its response not yet seen: the picked endpoint counts it in flight.</summary>
    private async Task<InFlightRequest> OneRequestInFlightAsync()
    {
        _host.SetMetrics();
        var envoy = await SendCompletionAsync();
        var endpoint = await PickedEndpointAsync(envoy);
        Assert.Equal(1, endpoint.InFlightRequests);
        return new InFlightRequest(envoy, endpoint);
    }

    private int InFlight(string endpoint) => _host.Pool.Find(endpoint)!.InFlightRequests;

    /// <summary>
    /// Half-closes the stream, as Envoy does once the response is done: the scheduler ends the stream (nothing else comes
    /// first) and the served endpoint's in-flight count falls back to zero.
    /// </summary>
    private async Task HalfCloseEndsTheRequestAsync(EnvoyClient envoy, string servedEndpoint)
    {
        await envoy.CompleteAsync();
        Assert.Null(await envoy.ReceiveAsync());
        await Eventually.HoldsAsync(() => InFlight(servedEndpoint) == 0, SchedulerTestHost.Timeout, "the half-close ends the request");
    }

    private sealed record InFlightRequest(EnvoyClient Envoy, PatternOne.Scheduler.Metrics.EndpointState Endpoint) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Envoy.DisposeAsync();
    }

    /// <summary>Reads the headers answer and the re-emitted body; returns the primary endpoint's state.</summary>
    private async Task<PatternOne.Scheduler.Metrics.EndpointState> PickedEndpointAsync(EnvoyClient envoy)
    {
        var headers = await envoy.ReceiveAsync();
        var primary = EnvoyClient.PickedEndpoints(headers!)[0];
        while (!(await envoy.ReceiveAsync())!.RequestBody.Response.BodyMutation.StreamedResponse.EndOfStream)
        {
        }

        return _host.Pool.Find(primary)!;
    }

    private static async Task<ImmediateResponse> AssertImmediateAsync(EnvoyClient envoy, int status)
    {
        var response = await envoy.ReceiveAsync();
        Assert.NotNull(response);
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ImmediateResponse, response.ResponseCase);
        Assert.Equal(status, (int)response.ImmediateResponse.Status.Code);
        Assert.Equal("application/json", EnvoyClient.Header(response.ImmediateResponse.Headers, "content-type"));
        return response.ImmediateResponse;
    }

    private static string? ErrorField(ImmediateResponse response, string field)
    {
        using var json = JsonDocument.Parse(response.Body.ToByteArray());
        var error = json.RootElement.GetProperty("error");
        Assert.True(error.TryGetProperty("message", out var message) && message.GetString()!.Length > 0);
        return error.GetProperty(field).GetString();
    }

    private static byte[] ChatBody(string systemPrompt, string question) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        model = "Qwen/Qwen2.5-3B-Instruct",
        stream = true,
        messages = new[] { new { role = "system", content = systemPrompt }, new { role = "user", content = question } },
    });
}
