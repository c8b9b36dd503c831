using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace PatternOne.Tests.Simulator.Api;

/// <summary>The routes the dashboard's replica commands call: vLLM's reset_prefix_cache and the simulator's fault switch.</summary>
public sealed class OperatorRoutesTests : IAsyncLifetime
{
    // A prompt of several 16-token blocks, so a repeat can hit the prefix cache.
    private static readonly string s_prompt = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 12));

    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync("--enable-prompt-tokens-details");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<int> CachedTokensAsync()
    {
        using var response = await _server.Client.PostAsync("/v1/completions", new StringContent(
            JsonSerializer.Serialize(new { prompt = s_prompt, max_tokens = 2 }), Encoding.UTF8, "application/json")).WaitAsync(SimulatorServer.Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();
    }

    [Fact]
    public async Task ResetPrefixCache_WhenIdle_TheNextIdenticalRequestHitsNothing()
    {
        Assert.Equal(0, await CachedTokensAsync());
        Assert.True(await CachedTokensAsync() > 0, "a repeated prompt hits the prefix cache");

        using var reset = await _server.Client.PostAsync("/reset_prefix_cache", null).WaitAsync(SimulatorServer.Timeout);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);

        Assert.Equal(0, await CachedTokensAsync());
        Assert.True(await CachedTokensAsync() > 0, "the cache fills again after a reset");
    }

    [Fact]
    public async Task ResetPrefixCache_WhileARequestHoldsBlocks_IsRefusedWithAJsonError()
    {
        // Real time, so the 2,000-token answer is still running when the reset arrives.
        await using var server = await SimulatorServer.StartAsync("--time-scale", "1");
        using var running = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"Count slowly","max_tokens":2000,"ignore_eos":true,"stream":true}""", Encoding.UTF8, "application/json"),
        }, HttpCompletionOption.ResponseHeadersRead).WaitAsync(SimulatorServer.Timeout);
        await server.WaitForMetricAsync("vllm:num_requests_running", v => v == 1);

        using var reset = await server.Client.PostAsync("/reset_prefix_cache", null).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(HttpStatusCode.Conflict, reset.StatusCode);
        using var error = JsonDocument.Parse(await reset.Content.ReadAsStringAsync());
        Assert.Contains("not freed", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Faults_SetAtRunTime_ApplyToTheNextRequest_AndCanBeCleared()
    {
        using (var set = await _server.Client.PostAsJsonAsync("/sim/faults", new { failure_rate = 100, kinds = new[] { "error" } }).WaitAsync(SimulatorServer.Timeout))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            using var state = JsonDocument.Parse(await set.Content.ReadAsStringAsync());
            Assert.Equal(100, state.RootElement.GetProperty("failure_rate").GetDouble());
            Assert.Equal(["error"], state.RootElement.GetProperty("kinds").EnumerateArray().Select(k => k.GetString()));
        }

        using (var failed = await _server.Client.PostAsync("/v1/completions", new StringContent("""{"prompt":"hi","max_tokens":2}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        using (var clear = await _server.Client.PostAsJsonAsync("/sim/faults", new { failure_rate = 0 }).WaitAsync(SimulatorServer.Timeout))
        {
            Assert.Equal(HttpStatusCode.OK, clear.StatusCode);
        }

        using var served = await _server.Client.PostAsync("/v1/completions", new StringContent("""{"prompt":"hi","max_tokens":2}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Theory]
    [InlineData("""{"failure_rate":101}""")]
    [InlineData("""{"failure_rate":10,"kinds":["meteor"]}""")]
    [InlineData("""{"kinds":["error"]}""")]
    [InlineData("not json")]
    public async Task Faults_BadInput_GetsA400JsonError(string body)
    {
        using var response = await _server.Client.PostAsync("/sim/faults", new StringContent(body, Encoding.UTF8, "application/json")).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(400, error.RootElement.GetProperty("error").GetProperty("code").GetInt32());
    }
}
