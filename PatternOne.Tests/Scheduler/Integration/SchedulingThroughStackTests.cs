using OpenAI.Chat;

namespace PatternOne.Tests.Scheduler.Integration;

/// <summary>
/// The scheduler inside the running app: gateway → ext_proc → scheduler → one of three simulated vLLM replicas.
/// Which replica served a request is read from the replicas' own <c>vllm:request_success_total</c>.
/// </summary>
[Collection(ThreeReplicaStackCollection.Name)]
public sealed class SchedulingThroughStackTests(ThreeReplicaStackFixture stack)
{
    [Fact]
    public async Task SharedSystemPrompt_StaysOnOneReplica_AndReportsCachedTokens()
    {
        var chat = stack.CreateOpenAIClient().GetChatClient(StackFixture.Model);
        var system = ReplicaProbes.Words(seed: 1, characters: 3000);
        var before = await ServedCountsAsync();
        var usage = new List<(int Prompt, int Cached)>();

        for (var i = 0; i < 6; i++)
        {
            var completion = await chat.CompleteChatAsync(
                [new SystemChatMessage(system), new UserChatMessage($"Question number {i}: what is the topic?")],
                new ChatCompletionOptions { MaxOutputTokenCount = 4 }).WaitAsync(StackFixture.RequestTimeout);
            usage.Add((completion.Value.Usage.InputTokenCount, completion.Value.Usage.InputTokenDetails?.CachedTokenCount ?? 0));
        }

        var served = ReplicaProbes.Delta(before, await ServedCountsAsync());
        Assert.Equal(6, served.Values.Sum());
        Assert.Single(served, pair => pair.Value > 0);
        Assert.All(usage.Skip(1), u => Assert.True(u.Cached * 2 > u.Prompt, $"expected the shared system prompt to be cached: {u.Cached} of {u.Prompt} prompt tokens"));
    }

    [Fact]
    public async Task DistinctPrompts_SpreadOverEveryReplica()
    {
        var chat = stack.CreateOpenAIClient().GetChatClient(StackFixture.Model);
        var before = await ServedCountsAsync();

        for (var i = 0; i < 30; i++)
        {
            await chat.CompleteChatAsync(
                [new UserChatMessage(ReplicaProbes.Words(seed: 100 + i, characters: 400))],
                new ChatCompletionOptions { MaxOutputTokenCount = 2 }).WaitAsync(StackFixture.RequestTimeout);
        }

        var served = ReplicaProbes.Delta(before, await ServedCountsAsync());
        Assert.Equal(30, served.Values.Sum());
        Assert.All(stack.ReplicaNames, name => Assert.True(served[name] > 0, $"{name} served none of 30 distinct prompts"));
    }

    [Fact]
    public async Task FavouredReplicaUnderLoad_LosesTheSharedPromptsTraffic()
    {
        var chat = stack.CreateOpenAIClient().GetChatClient(StackFixture.Model);
        var system = ReplicaProbes.Words(seed: 2, characters: 3000);
        async Task AskAsync() => await chat.CompleteChatAsync(
            [new SystemChatMessage(system), new UserChatMessage("Summarise it.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 2 }).WaitAsync(StackFixture.RequestTimeout);

        var before = await ServedCountsAsync();
        await AskAsync();
        var favoured = ReplicaProbes.Delta(before, await ServedCountsAsync()).Single(pair => pair.Value > 0).Key;

        // Load the favoured replica directly (not through the gateway): 200 distinct requests of ~1,400 tokens each
        // need ~4 times its 65,536-token KV cache, so most of them wait, for as long as the running ones decode. The
        // scheduler learns about it only from the replica's /metrics.
        using var flood = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var direct = new HttpClient { BaseAddress = stack.GetEndpoint(favoured, "http"), Timeout = TimeSpan.FromSeconds(120) };
        var load = Enumerable.Range(0, 200).Select(i => ReplicaProbes.FireAsync(direct, ReplicaProbes.Words(seed: 1000 + i, characters: 2000), flood.Token)).ToArray();
        try
        {
            await Eventually.HoldsAsync(async () => await SchedulerQueueAsync(favoured) > 5, StackFixture.RequestTimeout, $"the scheduler sees {favoured}'s queue grow");

            var during = await ServedCountsAsync();
            await AskAsync();
            var served = ReplicaProbes.Delta(during, await ServedCountsAsync());

            Assert.Equal(1, served.Where(pair => pair.Key != favoured).Sum(pair => pair.Value));
        }
        finally
        {
            await flood.CancelAsync();
            await Task.WhenAll(load).WaitAsync(StackFixture.RequestTimeout);
            // The stack is shared by this class's tests: let the flooded replica finish or abort what it still holds,
            // so none of it is counted as served in the next test.
            await Eventually.HoldsAsync(async () => await InFlightAsync(favoured) == 0, StackFixture.RequestTimeout,
                $"{favoured} drains after the flood");
        }
    }

    [Fact]
    public async Task SaturatedPool_RefusesASheddableRequest_AndServesAPriorityZeroOne()
    {
        // Flood every replica directly (not through the gateway): 60 long requests each, against engines that run 16
        // at a time, so their queues pass the saturation threshold (5) and stay there while the running ones decode.
        using var flood = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var direct = stack.ReplicaNames.Select(name => new HttpClient { BaseAddress = stack.GetEndpoint(name, "http"), Timeout = TimeSpan.FromMinutes(3) }).ToArray();
        var load = direct.SelectMany((client, r) => Enumerable.Range(0, 60)
            .Select(i => ReplicaProbes.FireAsync(client, ReplicaProbes.Words(seed: 20_000 + (r * 1000) + i, characters: 4_000), flood.Token))).ToArray();
        using var gateway = stack.CreateGatewayClient(https: false);
        try
        {
            await Eventually.HoldsAsync(async () => (await Task.WhenAll(stack.ReplicaNames.Select(SchedulerQueueAsync))).All(queue => queue > 5),
                StackFixture.RequestTimeout, "the scheduler sees every replica's queue over the threshold");

            using var refused = await gateway.SendAsync(ChatRequest((ExtProcNames.ObjectiveHeader, ThreeReplicaStackFixture.SheddableObjective)))
                .WaitAsync(StackFixture.RequestTimeout);
            Assert.Equal(429, (int)refused.StatusCode);
            Assert.Equal(ExtProcNames.ReasonSaturated, refused.Headers.GetValues(ExtProcNames.DroppedReasonHeader).Single());
            Assert.NotNull(refused.Headers.RetryAfter);

            // The same state, priority 0: admitted. It queues behind the flood, so the flood is cut once the scheduler
            // has routed it (its scheduled count rises), and the request must then be served.
            var scheduledBefore = await ScheduledCountAsync();
            var admitted = gateway.SendAsync(ChatRequest());
            await Eventually.HoldsAsync(async () => await ScheduledCountAsync() > scheduledBefore, StackFixture.RequestTimeout, "the priority-0 request is routed");
            Assert.All(await Task.WhenAll(stack.ReplicaNames.Select(SchedulerQueueAsync)), queue => Assert.True(queue > 5, $"still saturated: queue {queue}"));
            await flood.CancelAsync();
            using var served = await admitted.WaitAsync(StackFixture.RequestTimeout);
            Assert.Equal(200, (int)served.StatusCode);
        }
        finally
        {
            await flood.CancelAsync();
            await Task.WhenAll(load).WaitAsync(StackFixture.RequestTimeout);
            foreach (var client in direct)
            {
                client.Dispose();
            }

            foreach (var name in stack.ReplicaNames)
            {
                await Eventually.HoldsAsync(async () => await InFlightAsync(name) == 0, StackFixture.RequestTimeout, $"{name} drains after the flood");
            }
        }
    }

    private static HttpRequestMessage ChatRequest(params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { model = StackFixture.Model, messages = new[] { new { role = "user", content = "Say one word." } }, max_tokens = 1 }),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return request;
    }

    /// <summary>Requests the scheduler routed (<c>inference_objective_request_total</c>, all models).</summary>
    private async Task<double> ScheduledCountAsync() =>
        (await ReplicaProbes.SchedulerMetricsAsync(stack)).Split('\n')
            .Where(line => line.StartsWith("inference_objective_request_total{", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private Task<Dictionary<string, double>> ServedCountsAsync() => ReplicaProbes.ServedCountsAsync(stack);

    private Task<double> InFlightAsync(string replica) => ReplicaProbes.QueuedOrRunningAsync(stack, replica);

    private Task<double> SchedulerQueueAsync(string replica) => ReplicaProbes.SchedulerQueueAsync(stack, replica);
}
