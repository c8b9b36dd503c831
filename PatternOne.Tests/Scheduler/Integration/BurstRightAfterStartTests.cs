using System.ClientModel;
using OpenAI.Chat;

namespace PatternOne.Tests.Scheduler.Integration;

/// <summary>
/// A new user's first minute: right after the stack is ready, bursts of concurrent long chat requests. Every one must
/// be admitted (no 429: nothing here is sheddable) and the scheduler must spread each burst over every replica, even
/// though a whole burst arrives inside one 50 ms scrape interval.
/// </summary>
[Collection(FreshThreeReplicaStackCollection.Name)]
public sealed class BurstRightAfterStartTests(FreshThreeReplicaStackFixture stack)
{
    private const int Bursts = 3;
    private const int BurstSize = 40;

    [Fact]
    public async Task ThreeBurstsOf40DistinctLongPrompts_AreAllServed_AndSpreadOverEveryReplica()
    {
        // ~4 characters per token (the simulator's tokenizer, like Qwen's on English): 7,200 characters are ~1,800
        // tokens, inside --max-model-len 2048 with the 4 output tokens. Retries off (StackFixture): a 429 surfaces as a ClientResultException, never as a retried success.
        var chat = stack.CreateOpenAIClient(https: false).GetChatClient(StackFixture.Model);
        for (var burst = 0; burst < Bursts; burst++)
        {
            var before = await ReplicaProbes.ServedCountsAsync(stack);
            var requests = Enumerable.Range(0, BurstSize).Select(i => AskAsync(chat, ReplicaProbes.Words(seed: 10_000 + burst * 100 + i, characters: 7_200))).ToArray();
            var outcomes = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromMinutes(5));

            Assert.All(outcomes, outcome => Assert.True(outcome.Error is null, $"burst {burst}: {outcome.Error}"));
            Assert.All(outcomes, outcome => Assert.InRange(outcome.PromptTokens, 1_600, 2_040));
            // Counted once the replicas report them (their counter follows the response by a moment).
            await Eventually.HoldsAsync(async () => ReplicaProbes.Delta(before, await ReplicaProbes.ServedCountsAsync(stack)).Values.Sum() >= BurstSize,
                StackFixture.RequestTimeout, $"the replicas count burst {burst}");
            var served = ReplicaProbes.Delta(before, await ReplicaProbes.ServedCountsAsync(stack));
            Assert.Equal(BurstSize, served.Values.Sum());
            // An even split is 13/14/13; a herd would leave a replica (nearly) idle.
            Assert.All(stack.ReplicaNames, name => Assert.True(served[name] >= 5,
                $"burst {burst}: {string.Join(", ", served.Select(pair => $"{pair.Key} {pair.Value}"))}"));
        }
    }

    private static async Task<(string? Error, int PromptTokens)> AskAsync(ChatClient chat, string prompt)
    {
        try
        {
            var completion = await chat.CompleteChatAsync([new UserChatMessage(prompt)], new ChatCompletionOptions { MaxOutputTokenCount = 4 });
            return (null, completion.Value.Usage.InputTokenCount);
        }
        catch (ClientResultException ex)
        {
            return ($"HTTP {ex.Status}: {ex.Message}", 0);
        }
    }
}
