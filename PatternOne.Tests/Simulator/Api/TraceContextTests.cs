using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace PatternOne.Tests.Simulator.Api;

public sealed class TraceContextTests
{
    [Fact]
    public async Task IncomingTraceparent_BecomesTheParentOfTheServerSpanWithGenAiTags()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var parentId = ActivitySpanId.CreateRandom();
        var seen = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == traceId)
                {
                    seen.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await SimulatorServer.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"trace me","max_tokens":2}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{parentId}-01");
        // A client that sends the header as given (the default handler would replace it with its own span's).
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = server.BaseAddress };
        using var response = await client.SendAsync(request).WaitAsync(SimulatorServer.Timeout);
        await response.Content.ReadAsStringAsync().WaitAsync(SimulatorServer.Timeout);

        var deadline = DateTime.UtcNow + SimulatorServer.Timeout;
        while (seen.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        var span = Assert.Single(seen);
        Assert.Equal(parentId, span.ParentSpanId);
        Assert.Equal(2, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal("vllm", span.GetTagItem("gen_ai.system"));
        Assert.NotNull(span.GetTagItem("vllm.time_to_first_token_s"));
    }
}
