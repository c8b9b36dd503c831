using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatternOne.Benchmarks.EndToEnd;

/// <summary>What one streamed chat completion looked like from the client (real time).</summary>
public sealed record StreamedResult(int Status, TimeSpan? FirstToken, IReadOnlyList<TimeSpan> TokenTimes, int PromptTokens, int CachedTokens, int Rejections, string? Error);

/// <summary>Sends one streaming chat completion and timestamps every content chunk (SSE), retrying 429s after Retry-After.</summary>
public static class StreamingClient
{
    public static async Task<StreamedResult> SendAsync(
        HttpClient client, Uri url, string system, string question, int maxTokens, long startTimestamp, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = Hosting.LocalCluster.Model,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = system },
                new JsonObject { ["role"] = "user", ["content"] = question }),
            ["max_tokens"] = maxTokens,
            ["ignore_eos"] = true,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        }.ToJsonString();
        var rejections = 0;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if ((int)response.StatusCode == 429)
            {
                rejections++;
                var wait = response.Headers.RetryAfter?.Delta is { } d && d < retryAfter ? d : retryAfter;
                // Client back-off after 429, as a real client does; the request's clock keeps running.
                await Task.Delay(wait, cancellationToken);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                return new StreamedResult((int)response.StatusCode, null, [], 0, 0, rejections, text.Length > 300 ? text[..300] : text);
            }

            var times = new List<TimeSpan>(maxTokens);
            int prompt = 0, cached = 0;
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = line.AsSpan(5).Trim();
                if (data.SequenceEqual("[DONE]"))
                {
                    break;
                }

                var now = Stopwatch.GetElapsedTime(startTimestamp);
                using var doc = JsonDocument.Parse(data.ToString());
                var root = doc.RootElement;
                if (root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                    && choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)
                    && content.ValueKind == JsonValueKind.String && content.GetString()!.Length > 0)
                {
                    times.Add(now);
                }

                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    prompt = usage.TryGetProperty("prompt_tokens", out var p) ? p.GetInt32() : 0;
                    if (usage.TryGetProperty("prompt_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object
                        && details.TryGetProperty("cached_tokens", out var c) && c.ValueKind == JsonValueKind.Number)
                    {
                        cached = c.GetInt32();
                    }
                }
            }

            return new StreamedResult(200, times.Count > 0 ? times[0] : null, times, prompt, cached, rejections, times.Count == 0 ? "no content chunks" : null);
        }
    }

    public static MediaTypeHeaderValue Json { get; } = new("application/json");
}
