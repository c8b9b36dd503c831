
namespace PatternOne.Tests.EndToEnd;

/// <summary>One W3C trace spans gateway → scheduler → replica, as the dashboard shows it.</summary>
[Collection(DefaultStackCollection.Name)]
public sealed class TracePropagationTests(StackFixture stack)
{
    private static readonly TimeSpan s_exportTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OneRequest_ProducesOneTraceAcrossAllThreeServices()
    {
        var traceId = await TracedChat.SendAsync(stack.CreateGatewayClient(), "trace me", maxTokens: 4);

        // Spans are exported in batches; wait until the three services have exported theirs for this trace.
        await Eventually.HoldsAsync(
            () => stack.Traces.ServicesInTrace(traceId) is var seen
                && seen.Contains("gateway") && seen.Contains("scheduler") && seen.Overlaps(stack.ReplicaNames),
            s_exportTimeout, $"gateway, scheduler and a replica exported spans of trace {traceId}");

        var services = stack.Traces.ServicesInTrace(traceId);
        Assert.Contains("gateway", services);
        Assert.Contains("scheduler", services);
        Assert.Contains(services, s => stack.ReplicaNames.Contains(s));
    }
}
