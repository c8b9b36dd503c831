using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace PatternOne.AppHost.Operations;

/// <summary>
/// The gateway's "Run load": chat requests at a fixed rate for a fixed time (open loop: a slow answer does not slow
/// the arrivals, as with real users), then a one-line summary. Prompts share a system prompt and rotate over a few
/// questions, so the prefix cache and the scheduler's prefix affinity have something to work with.
/// </summary>
internal sealed class LoadRun(HttpClient http, Uri chatCompletions, string model, TimeProvider time)
{
    private const string SystemPrompt =
        "You are the support assistant of PatternOne, an LLM inference stack: a gateway, an endpoint-picker scheduler and vLLM replicas. Answer briefly.";

    private static readonly string[] s_questions =
    [
        "What does the gateway do?", "What does the scheduler score?", "What is a KV cache?",
        "Why does prefix caching help?", "What is a TPU v6e?", "How do I see traces?",
    ];

    public async Task<LoadSummary> RunAsync(double requestsPerSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, (int)Math.Round(requestsPerSecond * duration.TotalSeconds));
        var started = time.GetTimestamp();
        var sends = new List<Task<(int Status, TimeSpan Latency)>>(count);
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / requestsPerSecond) - time.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, time, cancellationToken);
            }

            sends.Add(SendAsync(s_questions[i % s_questions.Length], cancellationToken));
        }

        var results = await Task.WhenAll(sends);
        return new LoadSummary(results.Select(r => r.Status).ToList(), results.Select(r => r.Latency).ToList(), time.GetElapsedTime(started));
    }

    private async Task<(int Status, TimeSpan Latency)> SendAsync(string question, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsJsonAsync(chatCompletions, new
            {
                model,
                messages = new object[] { new { role = "system", content = SystemPrompt }, new { role = "user", content = question } },
                max_tokens = 16,
            }, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            return ((int)response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (0, Stopwatch.GetElapsedTime(started)); // no answer at all (connection refused, reset, timed out)
        }
    }
}

/// <summary>Statuses (0 = no answer) and latencies of one load run.</summary>
internal sealed record LoadSummary(IReadOnlyList<int> Statuses, IReadOnlyList<TimeSpan> Latencies, TimeSpan Elapsed)
{
    public int Succeeded => Statuses.Count(s => s is >= 200 and < 300);

    /// <summary>One line for the dashboard's command message.</summary>
    public string Describe(double requestsPerSecond, TimeSpan duration, IReadOnlyDictionary<string, double> servedBy)
    {
        var culture = CultureInfo.InvariantCulture;
        var sorted = Latencies.Order().ToList();
        var statuses = string.Join(", ", Statuses.GroupBy(s => s).OrderBy(g => g.Key)
            .Select(g => string.Format(culture, "{0} × {1}", g.Count(), g.Key == 0 ? "no answer" : g.Key.ToString(culture))));
        var served = servedBy.Values.Sum();
        var replicas = served > 0
            ? string.Join(", ", servedBy.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => string.Format(culture, "{0} {1:0}", s.Key, s.Value)))
            : "none";
        return string.Format(culture,
            "{0} requests at {1:0.##}/s for {2:0.#} s: {3} OK ({4}). Latency p50 {5:0.000} s, p90 {6:0.000} s, max {7:0.000} s. Served by: {8}{9}.",
            Statuses.Count, requestsPerSecond, duration.TotalSeconds, Succeeded, statuses,
            Percentile(sorted, 0.5), Percentile(sorted, 0.9), sorted[^1].TotalSeconds, replicas,
            served > Succeeded ? " (includes other traffic during the run)" : "");
    }

    private static double Percentile(List<TimeSpan> sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Count) - 1, 0, sorted.Count - 1)].TotalSeconds;
}
