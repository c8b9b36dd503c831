using System.Net;
using System.Text;

namespace PatternOne.Tests.Simulator.Api;

public sealed class AbortAndFaultTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;

    // Real time (scale 1) so 1,000-token answers stay in flight while the test looks at them.
    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(
        "--max-model-len", "2048", "--max-num-seqs", "2", "--time-scale", "1", "--sim-fault-header", "--sim-slow-start-seconds", "0.01");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static HttpRequestMessage Streaming(string? fault = null, int maxTokens = 1000)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent($$"""{"prompt":"Count slowly","max_tokens":{{maxTokens}},"ignore_eos":true,"stream":true}""", Encoding.UTF8, "application/json"),
        };
        if (fault is not null)
        {
            request.Headers.Add("x-sim-fault", fault);
        }

        return request;
    }

    [Fact]
    public async Task BurstAboveMaxNumSeqs_Waits_AndClientDisconnectAbortsInEngine()
    {
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            responses.Add(await _server.Client.SendAsync(Streaming(), HttpCompletionOption.ResponseHeadersRead).WaitAsync(SimulatorServer.Timeout));
        }

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var probe = await responses[0].Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        Assert.True(await probe.ReadAsync(buffer).AsTask().WaitAsync(SimulatorServer.Timeout) > 0);

        await _server.WaitForMetricAsync("vllm:num_requests_running", v => v == 2);
        await _server.WaitForMetricAsync("vllm:num_requests_waiting", v => v == 1);
        Assert.True(await _server.MetricAsync("vllm:kv_cache_usage_perc") > 0);

        foreach (var response in responses)
        {
            response.Dispose(); // the client goes away mid-stream
        }

        await _server.WaitForMetricAsync("sim:requests_aborted_total", v => v == 3);
        Assert.Equal(0, await _server.MetricAsync("vllm:num_requests_running"));
        Assert.Equal(0, await _server.MetricAsync("vllm:num_requests_waiting"));
        Assert.Equal(0, await _server.MetricAsync("vllm:kv_cache_usage_perc"));
        Assert.Equal(0, await _server.MetricAsync("vllm:request_success_total", "finished_reason=\"length\""));
    }

    [Fact]
    public async Task FaultHeaderError_AnswersConfiguredStatusWithErrorBody()
    {
        using var response = await _server.Client.SendAsync(Streaming("error")).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("\"code\":503", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FaultHeaderDisconnect_DropsTheStreamMidway()
    {
        using var response = await _server.Client.SendAsync(Streaming("disconnect", maxTokens: 20), HttpCompletionOption.ResponseHeadersRead)
            .WaitAsync(SimulatorServer.Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        var received = new StringBuilder();
        var failed = false;
        try
        {
            received.Append(await reader.ReadToEndAsync().WaitAsync(SimulatorServer.Timeout));
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            failed = true;
        }

        Assert.True(failed || !received.ToString().Contains("[DONE]", StringComparison.Ordinal));
        await _server.WaitForMetricAsync("vllm:num_requests_running", v => v == 0);
    }

    [Fact]
    public async Task FaultHeaderSlowStart_StillAnswers()
    {
        using var request = Streaming("slow-start", maxTokens: 2);
        using var response = await _server.Client.SendAsync(request).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("data: [DONE]\n\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
