using PatternOne.VllmSimulator.Engine;

namespace PatternOne.Tests.Simulator.Engine;

/// <summary>Prompts and requests for driving an engine in virtual time.</summary>
internal static class EngineTestKit
{
    /// <summary>A prompt of <paramref name="length"/> tokens; prompts with the same <paramref name="family"/> share every prefix.</summary>
    public static int[] Prompt(int length, int family = 0, int offset = 0) =>
        Enumerable.Range(offset, length).Select(i => (family * 100_000) + i + 1).ToArray();

    public static GenerationRequest Request(string id, int[] prompt, int outputTokens = 8, TimeSpan? arrival = null) => new()
    {
        RequestId = id,
        PromptTokenIds = prompt,
        OutputTokens = outputTokens,
        ArrivalTime = arrival,
    };
}
