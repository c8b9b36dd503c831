using System.Net;
using System.Text;
using System.Text.Json;

namespace PatternOne.Tests.Simulator.Api;

public sealed class HttpShapeTests : IAsyncLifetime
{
    private const string Model = "Qwen/Qwen2.5-3B-Instruct";
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(
        "--model", Model, "--served-model-name", Model, "alias", "--max-model-len=2048", "--enable-prompt-tokens-details",
        "--dtype=half", "--tensor-parallel-size=4", "--disable-log-requests");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string body, string? header = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (header is not null)
        {
            request.Headers.Add("x-sim-fault", header);
        }

        using var response = await _server.Client.SendAsync(request).WaitAsync(SimulatorServer.Timeout);
        return (response.StatusCode, await response.Content.ReadAsStringAsync().WaitAsync(SimulatorServer.Timeout));
    }

    [Fact]
    public async Task ChatResponse_HasVllmShape()
    {
        var (status, body) = await PostAsync("/v1/chat/completions",
            """{"model":"Qwen/Qwen2.5-3B-Instruct","messages":[{"role":"user","content":"Hi"}],"max_tokens":3}""");

        Assert.Equal(HttpStatusCode.OK, status);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Matches("^chatcmpl-[0-9a-f]{32}$", root.GetProperty("id").GetString());
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal(Model, root.GetProperty("model").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("stop_reason").ValueKind);
        var usage = root.GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 3, usage.GetProperty("total_tokens").GetInt32());
        Assert.True(usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32() >= 0);
    }

    [Fact]
    public async Task ChatStream_HasRoleChunkFinishOnLastContentUsageChunkAndDone()
    {
        var (status, body) = await PostAsync("/v1/chat/completions",
            """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var events = SseParser.Parse(body);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());

        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(string.Empty, first.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("finish_reason").ValueKind);

        var content = chunks[1..^1];
        Assert.Equal(4, content.Count);
        Assert.All(content[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.Equal("length", content[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(content, c => Assert.False(c.TryGetProperty("usage", out _)));

        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(4, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(usage.GetProperty("usage").TryGetProperty("prompt_tokens_details", out _));
    }

    [Fact]
    public async Task ChatStream_WithoutStreamOptions_HasNoUsageChunk()
    {
        var (_, body) = await PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"stream":true}""");

        var events = SseParser.Parse(body);
        Assert.Equal(4, events.Count); // role, 2 tokens, [DONE]
        Assert.DoesNotContain(events[..^1], e => e.Contains("\"usage\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Completions_PromptArray_GivesOneChoicePerPromptAndN()
    {
        var (status, body) = await PostAsync("/v1/completions", """{"model":"alias","prompt":["one two","three four five"],"max_tokens":2,"n":2}""");

        Assert.Equal(HttpStatusCode.OK, status);
        using var json = JsonDocument.Parse(body);
        var choices = json.RootElement.GetProperty("choices");
        Assert.Equal([0, 1, 2, 3], choices.EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        Assert.Matches("^cmpl-", json.RootElement.GetProperty("id").GetString());
        Assert.Equal(8, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Completions_TokenIdPrompt_IsAccepted()
    {
        var (status, body) = await PostAsync("/v1/completions", """{"prompt":[1,2,3,4,5],"max_tokens":1}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, JsonDocument.Parse(body).RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task IgnoreEos_GeneratesExactlyMaxTokens()
    {
        var (_, body) = await PostAsync("/v1/completions", """{"prompt":"x","max_tokens":300,"ignore_eos":true}""");

        using var json = JsonDocument.Parse(body);
        Assert.Equal(300, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task WithoutIgnoreEos_LongBudgetStopsNaturally()
    {
        var (_, body) = await PostAsync("/v1/completions", """{"prompt":"x","max_tokens":1000,"seed":3}""");

        using var json = JsonDocument.Parse(body);
        Assert.Equal("stop", json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() < 1000);
    }

    [Fact]
    public async Task StopString_CutsTextAndReportsStopReason()
    {
        var (_, full) = await PostAsync("/v1/completions", """{"prompt":"x","max_tokens":40,"seed":5,"ignore_eos":true}""");
        var text = JsonDocument.Parse(full).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
        var stop = text.Split(' ')[3];

        var (_, body) = await PostAsync("/v1/completions", $$"""{"prompt":"x","max_tokens":40,"seed":5,"ignore_eos":true,"stop":["{{stop}}"]}""");

        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(stop, choice.GetProperty("stop_reason").GetString());
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Models_ListsServedNamesWithMaxModelLen()
    {
        using var json = JsonDocument.Parse(await _server.Client.GetStringAsync("/v1/models").WaitAsync(SimulatorServer.Timeout));

        var data = json.RootElement.GetProperty("data");
        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        Assert.Equal([Model, "alias"], data.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.All(data.EnumerateArray(), m => Assert.Equal(2048, m.GetProperty("max_model_len").GetInt32()));
        Assert.All(data.EnumerateArray(), m => Assert.Equal("vllm", m.GetProperty("owned_by").GetString()));
    }

    [Theory]
    [InlineData("GET", "/health")]
    [InlineData("GET", "/ping")]
    [InlineData("POST", "/ping")]
    [InlineData("GET", "/alive")]
    public async Task HealthEndpoints_Answer200(string method, string path)
    {
        using var response = await _server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Version_ReportsVllmVersion()
    {
        using var json = JsonDocument.Parse(await _server.Client.GetStringAsync("/version").WaitAsync(SimulatorServer.Timeout));

        Assert.Matches(@"^\d+\.\d+\.\d+$", json.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public async Task TokenizeThenDetokenize_RoundTrips()
    {
        var (status, body) = await PostAsync("/tokenize", """{"prompt":"Hello world, this is a test."}""");
        Assert.Equal(HttpStatusCode.OK, status);
        using var tokenized = JsonDocument.Parse(body);
        var tokens = tokenized.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal(tokens.Length, tokenized.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(2048, tokenized.RootElement.GetProperty("max_model_len").GetInt32());

        var (_, detokenized) = await PostAsync("/detokenize", JsonSerializer.Serialize(new { tokens }));

        Assert.Equal("Hello world, this is a test.", JsonDocument.Parse(detokenized).RootElement.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task Tokenize_Messages_AppliesChatTemplate()
    {
        var (_, body) = await PostAsync("/tokenize", """{"messages":[{"role":"user","content":"Hello!"}],"return_token_strs":true}""");

        using var json = JsonDocument.Parse(body);
        var pieces = string.Concat(json.RootElement.GetProperty("token_strs").EnumerateArray().Select(p => p.GetString()));
        Assert.StartsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud.", pieces, StringComparison.Ordinal);
        Assert.EndsWith("<|im_start|>assistant\n", pieces, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_UseVllmNamesLabelsAndBuckets()
    {
        await PostAsync("/v1/completions", """{"prompt":"warm up","max_tokens":2}""");

        var text = await _server.Client.GetStringAsync("/metrics").WaitAsync(SimulatorServer.Timeout);

        const string Labels = "{engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\"}";
        foreach (var gauge in new[] { "vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc" })
        {
            Assert.Contains($"# TYPE {gauge} gauge\n{gauge}{Labels} ", text, StringComparison.Ordinal);
        }

        foreach (var counter in new[] { "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total", "vllm:num_preemptions_total", "vllm:prompt_tokens_total", "vllm:generation_tokens_total" })
        {
            Assert.Contains($"# TYPE {counter} counter\n{counter}{Labels} ", text, StringComparison.Ordinal);
        }

        Assert.Contains("vllm:request_success_total{engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\",finished_reason=\"length\"} 1.0", text, StringComparison.Ordinal);
        Assert.Matches("vllm:cache_config_info\\{[^}]*block_size=\"16\"[^}]*num_gpu_blocks=\"99618\"[^}]*\\} 1.0", text);
        Assert.Contains("vllm:time_to_first_token_seconds_bucket{engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\",le=\"0.001\"}", text, StringComparison.Ordinal);
        Assert.Contains("vllm:time_to_first_token_seconds_bucket{engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\",le=\"2560.0\"}", text, StringComparison.Ordinal);
        Assert.Contains("vllm:inter_token_latency_seconds_bucket{engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\",le=\"+Inf\"} 1.0", text, StringComparison.Ordinal);
        Assert.Contains("vllm:e2e_request_latency_seconds_count{engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\"} 1.0", text, StringComparison.Ordinal);
        Assert.Contains("vllm:request_prompt_tokens_bucket{engine=\"0\",model_name=\"Qwen/Qwen2.5-3B-Instruct\",le=\"2000.0\"}", text, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, int, string?> BadRequests => new()
    {
        { "/v1/chat/completions", "{not json", 400, null },
        { "/v1/chat/completions", "[1,2]", 400, null },
        { "/v1/chat/completions", "", 400, null },
        { "/v1/chat/completions", """{"model":"Qwen/Qwen2.5-3B-Instruct"}""", 400, "messages" },
        { "/v1/chat/completions", """{"messages":[]}""", 400, "messages" },
        { "/v1/chat/completions", """{"messages":"hi"}""", 400, "messages" },
        { "/v1/chat/completions", """{"messages":[{"content":"hi"}]}""", 400, "messages" },
        { "/v1/chat/completions", """{"messages":[{"role":"wizard","content":"hi"}]}""", 400, "messages" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", 400, "max_tokens" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", 400, "max_tokens" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"temperature":-1}""", 400, "temperature" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"top_p":0}""", 400, "top_p" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"n":0}""", 400, "n" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", 400, "stream" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}""", 400, "stream_options" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stop":[1]}""", 400, "stop" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":5000}""", 400, "max_tokens" },
        { "/v1/completions", """{"max_tokens":3}""", 400, "prompt" },
        { "/v1/completions", """{"prompt":""}""", 400, "prompt" },
        { "/v1/completions", """{"prompt":[]}""", 400, "prompt" },
        { "/v1/completions", """{"prompt":{"a":1}}""", 400, "prompt" },
        { "/v1/completions", """{"prompt":[-1]}""", 400, "prompt" },
        { "/v1/completions", """{"prompt":"hi","model":"gpt-4"}""", 404, "model" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"model":"gpt-4"}""", 404, "model" },
        { "/tokenize", """{"prompt":"hi","model":"gpt-4"}""", 404, "model" },
        { "/tokenize", """{"nothing":1}""", 400, "prompt" },
        { "/detokenize", """{"tokens":"abc"}""", 400, "tokens" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInput_GetsVllmErrorShape(string path, string body, int expectedStatus, string? param)
    {
        var (status, text) = await PostAsync(path, body);

        Assert.Equal(expectedStatus, (int)status);
        AssertError(text, expectedStatus, param);
    }

    [Fact]
    public async Task BatchBeyondMaxNumSeqs_IsRefusedBeforeAnyWork()
    {
        // 300 prompts × n=128 = 38,400 sequences: far beyond the engine's 256, and a memory bomb if generated.
        var prompts = string.Join(',', Enumerable.Repeat("[1]", 300));
        var (status, text) = await PostAsync("/v1/completions", $$"""{"prompt":[{{prompts}}],"n":128,"max_tokens":4}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = AssertError(text, 400, "prompt");
        Assert.Contains("max-num-seqs", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptBeyondContext_GetsMaximumContextLengthError()
    {
        var prompt = string.Join(' ', Enumerable.Repeat("word", 3000));
        var (status, text) = await PostAsync("/v1/chat/completions", JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = prompt } } }));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = AssertError(text, 400, "messages");
        Assert.Contains("maximum context length is 2048 tokens", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/chat/completions", 405)]
    [InlineData("PUT", "/v1/completions", 405)]
    [InlineData("POST", "/v1/models", 405)]
    [InlineData("GET", "/v2/anything", 404)]
    [InlineData("POST", "/v1/embeddings", 404)]
    public async Task WrongMethodOrPath_GetsJsonError(string method, string path, int expected)
    {
        using var response = await _server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        AssertError(await response.Content.ReadAsStringAsync(), expected, null);
    }

    private static string AssertError(string body, int status, string? param)
    {
        using var json = JsonDocument.Parse(body);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(status, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        return error.GetProperty("message").GetString()!;
    }
}
