using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace PatternOne.Tests.Simulator.Api;

#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental in the SDK

public sealed class OpenAiSdkTests : IAsyncLifetime
{
    private const string Model = "Qwen/Qwen2.5-3B-Instruct";
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(
        "--model", Model, "--max-model-len", "2048", "--enable-prompt-tokens-details");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>
    /// The SDK's own pipeline (auth, retries, transport). OpenAI .NET 2.15 keeps its legacy completions client internal,
    /// so /v1/completions goes through the pipeline with the SDK's message types.
    /// </summary>
    private ClientPipeline Pipeline => new OpenAIClient(new ApiKeyCredential("unused"), ClientOptions).Pipeline;

    private PipelineMessage CompletionsMessage(object body)
    {
        var message = Pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(_server.BaseAddress, "/v1/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromObjectAsJson(body));
        return message;
    }

    private OpenAIClientOptions ClientOptions => new() { Endpoint = new Uri(_server.BaseAddress, "/v1"), NetworkTimeout = SimulatorServer.Timeout, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0) };

    [Fact]
    public async Task Chat_ReturnsContentAndUsage()
    {
        var client = new ChatClient(Model, new ApiKeyCredential("unused"), ClientOptions);

        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("Hello!")], new ChatCompletionOptions { MaxOutputTokenCount = 12, Seed = 7 }).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.Equal(Model, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        // ChatML with Qwen's default system prompt: far more than the two words the user sent.
        Assert.InRange(completion.Usage.InputTokenCount, 25, 45);
        Assert.Equal(completion.Usage.InputTokenCount + 12, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Chat_RepeatedPrefix_ReportsCachedTokens()
    {
        var client = new ChatClient(Model, new ApiKeyCredential("unused"), ClientOptions);
        var shared = new SystemChatMessage(string.Join(' ', Enumerable.Repeat("You answer questions about routing and caching.", 40)));
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4 };

        ChatCompletion first = await client.CompleteChatAsync([shared, new UserChatMessage("First?")], options).WaitAsync(SimulatorServer.Timeout);
        ChatCompletion second = await client.CompleteChatAsync([shared, new UserChatMessage("Second?")], options).WaitAsync(SimulatorServer.Timeout);

        Assert.Equal(0, first.Usage.InputTokenDetails.CachedTokenCount);
        Assert.True(second.Usage.InputTokenDetails.CachedTokenCount > 300, $"cached {second.Usage.InputTokenDetails.CachedTokenCount}");
        Assert.Equal(0, second.Usage.InputTokenDetails.CachedTokenCount % 16);
    }

    [Fact]
    public async Task ChatStreaming_DeliversContentFinishReasonAndUsage()
    {
        var client = new ChatClient(Model, new ApiKeyCredential("unused"), ClientOptions);
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;

        await foreach (var update in client.CompleteChatStreamingAsync(
            [new UserChatMessage("Tell me a story.")], new ChatCompletionOptions { MaxOutputTokenCount = 20 }).WithCancellation(
            new CancellationTokenSource(SimulatorServer.Timeout).Token))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.False(string.IsNullOrWhiteSpace(text.ToString()));
        Assert.NotNull(finish);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount is > 0 and <= 20);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }

    [Fact]
    public async Task ChatStreaming_MatchesNonStreamingTextForSameSeed()
    {
        var client = new ChatClient(Model, new ApiKeyCredential("unused"), ClientOptions);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 30, Seed = 42 };
        ChatCompletion whole = await client.CompleteChatAsync([new UserChatMessage("Same?")], options).WaitAsync(SimulatorServer.Timeout);

        var streamed = new System.Text.StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Same?")], options))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
        }

        Assert.Equal(whole.Content[0].Text, streamed.ToString());
    }

    [Fact]
    public async Task Completions_ReturnTextAndUsage()
    {
        using var message = CompletionsMessage(new { model = Model, prompt = "Once upon a time", max_tokens = 5 });

        await Pipeline.SendAsync(message).AsTask().WaitAsync(SimulatorServer.Timeout);
        using var json = JsonDocument.Parse(message.Response!.Content);

        var root = json.RootElement;
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal("length", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(5, root.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() is >= 3 and <= 6);
    }

    [Fact]
    public async Task CompletionsStreaming_EndsWithUsageAndDone()
    {
        using var message = CompletionsMessage(new
        {
            model = Model,
            prompt = "Once upon a time",
            max_tokens = 6,
            stream = true,
            stream_options = new { include_usage = true },
        });
        message.BufferResponse = false;

        await Pipeline.SendAsync(message).AsTask().WaitAsync(SimulatorServer.Timeout);
        Assert.Equal(200, message.Response!.Status);
        using var reader = new StreamReader(message.Response.ContentStream!);
        var events = SseParser.Parse(await reader.ReadToEndAsync().WaitAsync(SimulatorServer.Timeout));

        Assert.Equal("[DONE]", events[^1]);
        using var usage = JsonDocument.Parse(events[^2]);
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        Assert.Equal(6, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(6, events.Count - 2);
    }
}
