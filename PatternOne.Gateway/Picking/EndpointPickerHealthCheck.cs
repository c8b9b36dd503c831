using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// The gateway's health says when a pool's endpoint picker cannot be reached: <b>Degraded</b> under FailOpen (requests
/// still succeed, routed by the gateway's own view, without load or prefix awareness), <b>Unhealthy</b> under FailClose
/// (every inference request gets 503). It feeds <c>/health</c> on the status port and the dashboard, not readiness:
/// see <see cref="Observability.StatusEndpoints"/> for why.
/// </summary>
internal sealed class EndpointPickerHealthCheck(IOptions<GatewayOptions> options, IEndpointPickerClient picker) : IHealthCheck
{
    public const string Name = "endpoint-picker";

    /// <summary>Checks with this tag stay out of <c>/healthz/ready</c>.</summary>
    public const string Tag = "picker";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var pools = options.Value.Pools.Where(p => !string.IsNullOrWhiteSpace(p.EndpointPicker)).ToList();
        var failures = await Task.WhenAll(pools.Select(async pool => (Pool: pool, Failure: await picker.ProbeAsync(pool, cancellationToken))));
        var down = failures.Where(f => f.Failure is not null).ToList();
        if (down.Count == 0)
        {
            return HealthCheckResult.Healthy(pools.Count == 0 ? "No pool has an endpoint picker." : $"{pools.Count} endpoint picker(s) reachable.");
        }

        var description = string.Join("; ", down.Select(f => $"pool '{f.Pool.Name}' picker {f.Pool.EndpointPicker}: {f.Failure} → {f.Pool.FailureMode}"));
        var data = down.ToDictionary(f => f.Pool.Name, f => (object)f.Failure!);
        return down.Any(f => f.Pool.FailureMode == FailureMode.FailClose)
            ? HealthCheckResult.Unhealthy(description, data: data)
            : HealthCheckResult.Degraded(description, data: data);
    }
}
