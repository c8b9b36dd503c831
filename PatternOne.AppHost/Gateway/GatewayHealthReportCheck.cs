using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatternOne.ServiceDefaults;

namespace PatternOne.AppHost.Gateway;

/// <summary>
/// Reads the gateway's own verdict — <c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c> from <c>/health</c> on its
/// status port — so the dashboard shows a Degraded gateway (picker unreachable under FailOpen), which an HTTP status
/// check cannot: ASP.NET Core answers 200 for Healthy and Degraded alike.
/// </summary>
internal sealed class GatewayHealthReportCheck(EndpointReference statusEndpoint) : IHealthCheck
{
    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!statusEndpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy("The gateway's status port is not allocated yet.");
        }

        try
        {
            using var response = await s_client.GetAsync(new Uri(new Uri(statusEndpoint.Url), HealthEndpoints.HealthPath), cancellationToken);
            var verdict = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
            return Enum.TryParse<HealthStatus>(verdict, ignoreCase: false, out var status)
                ? new HealthCheckResult(status, $"The gateway reports itself {verdict} (see its log for which check).")
                : HealthCheckResult.Unhealthy($"The gateway's /health answered {(int)response.StatusCode} '{verdict}'.");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy("The gateway's status port did not answer.", ex);
        }
    }
}
