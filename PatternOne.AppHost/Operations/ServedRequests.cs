using PatternOne.AppHost.Inference;
using PatternOne.ServiceDefaults.Prometheus;

namespace PatternOne.AppHost.Operations;

/// <summary>
/// Which replica served a command's requests: each replica's <c>vllm:request_success_total</c> before and after.
/// vLLM's answers do not name the server and the gateway (like Envoy) does not echo its upstream, so the counters
/// are the honest source; other traffic at the same time shows up as extra requests, and the message says so.
/// </summary>
internal sealed class ServedRequests
{
    private readonly Dictionary<string, double> _before;

    private ServedRequests(Dictionary<string, double> before) => _before = before;

    public static async Task<ServedRequests> StartAsync(MetricsReader metrics, VllmPoolResource pool, CancellationToken cancellationToken) =>
        new(await CountAsync(metrics, pool, cancellationToken));

    /// <summary>Requests each replica finished since <see cref="StartAsync"/>, replicas with none left out.</summary>
    public async Task<IReadOnlyDictionary<string, double>> SinceStartAsync(MetricsReader metrics, VllmPoolResource pool, CancellationToken cancellationToken)
    {
        var after = await CountAsync(metrics, pool, cancellationToken);
        return after
            .Select(a => (a.Key, Served: a.Value - _before.GetValueOrDefault(a.Key)))
            .Where(a => a.Served > 0)
            .ToDictionary(a => a.Key, a => a.Served, StringComparer.Ordinal);
    }

    private static async Task<Dictionary<string, double>> CountAsync(MetricsReader metrics, VllmPoolResource pool, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var replica in pool.ReplicaBuilders.Select(b => b.Resource))
        {
            if (await metrics.ReadAsync(replica.GetEndpoint(VllmPoolBuilderExtensions.ReplicaEndpointName), cancellationToken) is { } samples)
            {
                counts[replica.Name] = samples.Sum(VllmMetricNames.RequestSuccess);
            }
        }

        return counts;
    }
}
