using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using OpenAI.Chat;
using PatternOne.Tests.Infrastructure;

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
        var system = Words(seed: 1, characters: 3000);
        var before = await ServedCountsAsync();
        var usage = new List<(int Prompt, int Cached)>();

        for (var i = 0; i < 6; i++)
        {
            var completion = await chat.CompleteChatAsync(
                [new SystemChatMessage(system), new UserChatMessage($"Question number {i}: what is the topic?")],
                new ChatCompletionOptions { MaxOutputTokenCount = 4 }).WaitAsync(StackFixture.RequestTimeout);
            usage.Add((completion.Value.Usage.InputTokenCount, completion.Value.Usage.InputTokenDetails?.CachedTokenCount ?? 0));
        }

        var served = Delta(before, await ServedCountsAsync());
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
                [new UserChatMessage(Words(seed: 100 + i, characters: 400))],
                new ChatCompletionOptions { MaxOutputTokenCount = 2 }).WaitAsync(StackFixture.RequestTimeout);
        }

        var served = Delta(before, await ServedCountsAsync());
        Assert.Equal(30, served.Values.Sum());
        Assert.All(stack.ReplicaNames, name => Assert.True(served[name] > 0, $"{name} served none of 30 distinct prompts"));
    }

    [Fact]
    public async Task FavouredReplicaUnderLoad_LosesTheSharedPromptsTraffic()
    {
        var chat = stack.CreateOpenAIClient().GetChatClient(StackFixture.Model);
        var system = Words(seed: 2, characters: 3000);
        async Task AskAsync() => await chat.CompleteChatAsync(
            [new SystemChatMessage(system), new UserChatMessage("Summarise it.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 2 }).WaitAsync(StackFixture.RequestTimeout);

        var before = await ServedCountsAsync();
        await AskAsync();
        var favoured = Delta(before, await ServedCountsAsync()).Single(pair => pair.Value > 0).Key;

        // Load the favoured replica directly (not through the gateway): 200 distinct requests of ~1,400 tokens each
        // need ~4 times its 65,536-token KV cache, so most of them wait, for as long as the running ones decode. The
        // scheduler learns about it only from the replica's /metrics.
        using var flood = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var direct = new HttpClient { BaseAddress = stack.GetEndpoint(favoured, "http"), Timeout = TimeSpan.FromSeconds(120) };
        var load = Enumerable.Range(0, 200).Select(i => FireAsync(direct, Words(seed: 1000 + i, characters: 2000), flood.Token)).ToArray();
        try
        {
            await Eventually.HoldsAsync(async () => await SchedulerQueueAsync(favoured) > 5, StackFixture.RequestTimeout, $"the scheduler sees {favoured}'s queue grow");

            var during = await ServedCountsAsync();
            await AskAsync();
            var served = Delta(during, await ServedCountsAsync());

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

    /// <summary>Requests a replica is running or holding in its queue, from its own metrics.</summary>
    private async Task<double> InFlightAsync(string replica)
    {
        using var client = new HttpClient();
        var text = await client.GetStringAsync(new Uri(stack.GetEndpoint(replica, "http"), "/metrics")).WaitAsync(StackFixture.RequestTimeout);
        return text.Split('\n')
            .Where(l => l.StartsWith("vllm:num_requests_running", StringComparison.Ordinal) || l.StartsWith("vllm:num_requests_waiting", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private static async Task FireAsync(HttpClient client, string prompt, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.PostAsJsonAsync("v1/completions", new { model = StackFixture.Model, prompt, max_tokens = 1000 }, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // the flood is cut off once the test has its answer
        }
        catch (HttpRequestException)
        {
        }
    }

    private async Task<double> SchedulerQueueAsync(string replica)
    {
        var address = stack.GetEndpoint(replica, "http");
        using var client = new HttpClient();
        var text = await client.GetStringAsync(new Uri(stack.GetEndpoint("scheduler", "metrics"), "/metrics")).WaitAsync(StackFixture.RequestTimeout);
        // The scheduler names endpoints ip:port (127.0.0.1 locally); the endpoint URL may say localhost.
        var pod = $":{address.Port.ToString(CultureInfo.InvariantCulture)}\"";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("inference_pool_per_pod_queue_size{", StringComparison.Ordinal) && l.Contains(pod, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private async Task<Dictionary<string, double>> ServedCountsAsync()
    {
        using var client = new HttpClient();
        var counts = new Dictionary<string, double>();
        foreach (var name in stack.ReplicaNames)
        {
            var text = await client.GetStringAsync(new Uri(stack.GetEndpoint(name, "http"), "/metrics")).WaitAsync(StackFixture.RequestTimeout);
            counts[name] = text.Split('\n')
                .Where(l => l.StartsWith("vllm:request_success_total", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }

        return counts;
    }

    private static Dictionary<string, double> Delta(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.ToDictionary(pair => pair.Key, pair => pair.Value - before.GetValueOrDefault(pair.Key));

    /// <summary>Deterministic text of real-looking words, distinct per seed from the first characters on.</summary>
    private static string Words(int seed, int characters)
    {
        var random = new Random(seed);
        var text = new StringBuilder($"Document {seed}. ");
        while (text.Length < characters)
        {
            var length = random.Next(2, 9);
            for (var i = 0; i < length; i++)
            {
                text.Append((char)('a' + random.Next(26)));
            }

            text.Append(random.Next(12) == 0 ? ". " : " ");
        }

        return text.ToString();
    }
}
