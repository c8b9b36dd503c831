using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using PatternOne.Tests.Infrastructure;

namespace PatternOne.Tests.EndToEnd;

/// <summary>One W3C trace spans gateway → scheduler → replica, as the dashboard shows it.</summary>
[Collection(DefaultStackCollection.Name)]
public sealed class TracePropagationTests(StackFixture stack)
{
    private static readonly TimeSpan s_exportTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OneRequest_ProducesOneTraceAcrossAllThreeServices()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var client = stack.CreateGatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = StackFixture.Model,
                messages = new[] { new { role = "user", content = "trace me" } },
                max_tokens = 4,
            }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        using var response = await client.SendAsync(request).WaitAsync(StackFixture.RequestTimeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

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
