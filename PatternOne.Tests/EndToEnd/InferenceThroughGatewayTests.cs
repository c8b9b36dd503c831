using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace PatternOne.Tests.EndToEnd;

/// <summary>
/// The user's path through the whole stack: client → gateway (TLS, prefix rewrite) → scheduler (ext_proc) →
/// simulated vLLM replica, with the official OpenAI SDK as the client.
/// </summary>
[Collection(DefaultStackCollection.Name)]
public sealed class InferenceThroughGatewayTests(StackFixture stack)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ChatCompletion_ReturnsContentAndUsage(bool https)
    {
        var chat = stack.CreateOpenAIClient(https).GetChatClient(StackFixture.Model);

        var completion = await chat.CompleteChatAsync(
            [new SystemChatMessage("You are a helpful assistant."), new UserChatMessage("Say hello to PatternOne.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 16 })
            .WaitAsync(StackFixture.RequestTimeout);

        var result = completion.Value;
        Assert.Equal(StackFixture.Model, result.Model);
        Assert.Equal(ChatMessageRole.Assistant, result.Role);
        Assert.False(string.IsNullOrWhiteSpace(result.Content.Single().Text));
        Assert.InRange(result.Usage.OutputTokenCount, 1, 16);
        Assert.True(result.Usage.InputTokenCount > 10, "the ChatML-rendered prompt has more than ten tokens");
        Assert.Equal(result.Usage.InputTokenCount + result.Usage.OutputTokenCount, result.Usage.TotalTokenCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ChatCompletion_Streaming_ReturnsContentAndUsage(bool https)
    {
        var chat = stack.CreateOpenAIClient(https).GetChatClient(StackFixture.Model);
        var text = new StringBuilder();
        var updates = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;

        using var timeout = new CancellationTokenSource(StackFixture.RequestTimeout);
        await foreach (var update in chat.CompleteChatStreamingAsync(
            [new UserChatMessage("Count to five.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 12 },
            timeout.Token))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.True(updates > 2, $"expected several streamed chunks, got {updates}");
        Assert.False(string.IsNullOrWhiteSpace(text.ToString()));
        Assert.NotNull(finish);
        Assert.NotNull(usage);
        Assert.InRange(usage.OutputTokenCount, 1, 12);
        Assert.True(usage.InputTokenCount > 0);
    }

    [Fact]
    public async Task Completion_ThroughPrefix_ReturnsChoicesAndUsage()
    {
        var client = stack.CreateGatewayClient();

        using var response = await client.PostAsJsonAsync("v1/completions",
            new { model = StackFixture.Model, prompt = "The capital of France is", max_tokens = 8 })
            .WaitAsync(StackFixture.RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("text").GetString()));
        var usage = root.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 1, 8);
    }

    [Fact]
    public async Task Models_ThroughPrefix_ListsTheServedModel()
    {
        var client = stack.CreateGatewayClient();

        using var response = await client.GetAsync("v1/models").WaitAsync(StackFixture.RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var model = body.RootElement.GetProperty("data")[0];
        Assert.Equal(StackFixture.Model, model.GetProperty("id").GetString());
        Assert.Equal(2048, model.GetProperty("max_model_len").GetInt32());
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/llm-d-inference-scheduling/other-model/v1/models")]
    public async Task PathOutsidePrefix_Returns404WithJsonError(string path)
    {
        var client = stack.CreateGatewayClient();

        using var response = await client.GetAsync(new Uri(stack.GatewayHttpsUri, path)).WaitAsync(StackFixture.RequestTimeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task ConcurrentPromptsOf15MiB_GetTheModelServersContextLengthError_NeverA429()
    {
        using var gateway = stack.CreateGatewayClient();
        var prompt = new string('x', 15 << 20);
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            model = StackFixture.Model,
            messages = new[] { new { role = "user", content = prompt } },
            max_tokens = 16,
        });

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await gateway.PostAsync("v1/chat/completions", content).WaitAsync(StackFixture.RequestTimeout);
            return (response.StatusCode, Error: (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error"));
        }));

        Assert.All(responses, r =>
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("maximum context length", r.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("metrics")]
    [InlineData("version")]
    [InlineData("load")]
    public async Task ReplicaOperationalEndpoint_IsNotReachableThroughTheGateway(string path)
    {
        using var gateway = stack.CreateGatewayClient();
        using var direct = new HttpClient { BaseAddress = stack.GetEndpoint(stack.ReplicaNames[0], "http"), Timeout = StackFixture.RequestTimeout };

        using var throughGateway = await gateway.GetAsync(path).WaitAsync(StackFixture.RequestTimeout);
        using var atReplica = await direct.GetAsync("/" + path).WaitAsync(StackFixture.RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, atReplica.StatusCode);
        await OpenAiErrorAssert.HasCodeAsync(throughGateway, HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("reset_prefix_cache")]
    [InlineData("sim/faults")]
    [InlineData("tokenize")]
    public async Task ReplicaOperationalCommand_IsNotReachableThroughTheGateway(string path)
    {
        using var gateway = stack.CreateGatewayClient();

        using var response = await gateway.PostAsync(path, new StringContent("{}", Encoding.UTF8, "application/json")).WaitAsync(StackFixture.RequestTimeout);

        await OpenAiErrorAssert.HasCodeAsync(response, HttpStatusCode.NotFound, "not_found");
    }
}
