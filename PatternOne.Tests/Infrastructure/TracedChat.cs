using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace PatternOne.Tests.Infrastructure;

/// <summary>A chat completion sent as the first call of a new W3C trace, so a test can then look for that trace's spans.</summary>
internal static class TracedChat
{
    /// <summary>Sends it through <paramref name="client"/> (the gateway), asserts 200 and returns the trace id.</summary>
    public static async Task<string> SendAsync(HttpClient client, string content, int maxTokens)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = StackFixture.Model,
                messages = new[] { new { role = "user", content } },
                max_tokens = maxTokens,
            }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        using var response = await client.SendAsync(request).WaitAsync(StackFixture.RequestTimeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return traceId;
    }
}
