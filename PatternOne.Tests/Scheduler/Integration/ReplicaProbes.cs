using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace PatternOne.Tests.Scheduler.Integration;

/// <summary>What the running stack's replicas and scheduler report about themselves, and load sent to a replica directly.</summary>
internal static class ReplicaProbes
{
    /// <summary>Requests each replica completed (<c>vllm:request_success_total</c>), by replica resource name.</summary>
    public static async Task<Dictionary<string, double>> ServedCountsAsync(StackFixture stack)
    {
        var counts = new Dictionary<string, double>();
        foreach (var name in stack.ReplicaNames)
        {
            counts[name] = Sum(await ReplicaMetricsAsync(stack, name), "vllm:request_success_total");
        }

        return counts;
    }

    /// <summary>Requests a replica is running or holding in its queue, from its own metrics.</summary>
    public static async Task<double> QueuedOrRunningAsync(StackFixture stack, string replica)
    {
        var text = await ReplicaMetricsAsync(stack, replica);
        return Sum(text, "vllm:num_requests_running") + Sum(text, "vllm:num_requests_waiting");
    }

    /// <summary>A replica's waiting queue as the scheduler last scraped it (<c>inference_pool_per_pod_queue_size</c>).</summary>
    public static async Task<double> SchedulerQueueAsync(StackFixture stack, string replica)
    {
        var address = stack.GetEndpoint(replica, "http");
        var text = await SchedulerMetricsAsync(stack);
        // The scheduler names endpoints ip:port (127.0.0.1 locally); the endpoint URL may say localhost.
        var pod = $":{address.Port.ToString(CultureInfo.InvariantCulture)}\"";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("inference_pool_per_pod_queue_size{", StringComparison.Ordinal) && l.Contains(pod, StringComparison.Ordinal));
        return line is null ? 0 : Value(line);
    }

    /// <summary>The scheduler's Prometheus text.</summary>
    public static async Task<string> SchedulerMetricsAsync(StackFixture stack)
    {
        using var client = new HttpClient();
        return await client.GetStringAsync(new Uri(stack.GetEndpoint("scheduler", "metrics"), "/metrics")).WaitAsync(StackFixture.RequestTimeout);
    }

    public static Dictionary<string, double> Delta(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.ToDictionary(pair => pair.Key, pair => pair.Value - before.GetValueOrDefault(pair.Key));

    /// <summary>One long completion sent to a replica directly (not through the gateway); ends quietly when cancelled.</summary>
    public static async Task FireAsync(HttpClient client, string prompt, CancellationToken cancellationToken)
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

    /// <summary>Deterministic text of real-looking words, distinct per seed from the first characters on.</summary>
    public static string Words(int seed, int characters)
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

    private static async Task<string> ReplicaMetricsAsync(StackFixture stack, string replica)
    {
        using var client = new HttpClient();
        return await client.GetStringAsync(new Uri(stack.GetEndpoint(replica, "http"), "/metrics")).WaitAsync(StackFixture.RequestTimeout);
    }

    private static double Sum(string text, string metric) =>
        text.Split('\n').Where(l => l.StartsWith(metric, StringComparison.Ordinal) && l.Length > metric.Length && l[metric.Length] is ' ' or '{').Sum(Value);

    private static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
}
