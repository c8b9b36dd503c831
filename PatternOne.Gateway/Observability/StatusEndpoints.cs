using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatternOne.Gateway.Picking;
using PatternOne.ServiceDefaults;

namespace PatternOne.Gateway.Observability;

/// <summary>
/// The status port, as Istio's 15021: <c>/healthz/ready</c> for the load balancer and Kubernetes, plus the service
/// defaults' <c>/health</c> and <c>/alive</c> for Aspire.
/// <para>
/// <b>Readiness means "this gateway can take traffic"</b>: started, configured, warmed (at start-up only, bounded:
/// <see cref="PickerWarmup"/>, Envoy's cluster warming), not draining. After start-up it does not follow the
/// endpoint picker, in either failure mode, as Istio's <c>/healthz/ready</c> does not follow its upstreams or ext_proc
/// servers (it reports whether Envoy holds its configuration). Every gateway replica shares the same picker, so taking
/// them out of rotation cannot route around a picker outage: under FailOpen it would turn working requests into
/// refused connections, and under FailClose it would replace a clear 503 <c>endpoint_picker_unavailable</c> (which
/// clients retry) by a load balancer with no backends. The picker's state shows in <c>/health</c> instead: Degraded
/// under FailOpen, Unhealthy (HTTP 503) under FailClose — which the dashboard and monitoring read.
/// </para>
/// </summary>
internal static class StatusEndpoints
{
    public const string ReadinessPath = "/healthz/ready";

    public static void Map(IApplicationBuilder app)
    {
        app.UseHealthChecks(HealthEndpoints.HealthPath);
        app.UseHealthChecks(HealthEndpoints.AlivePath, new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthEndpoints.LiveTag),
        });
        app.Run(async context =>
        {
            if (context.Request.Path != ReadinessPath)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            // Ready while serving; not ready from the moment shutdown begins, so the load balancer drains the pod
            // before its listeners close.
            var lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
            var ready = lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested;
            if (ready)
            {
                var report = await context.RequestServices.GetRequiredService<HealthCheckService>()
                    .CheckHealthAsync(check => !check.Tags.Contains(EndpointPickerHealthCheck.Tag), context.RequestAborted);
                ready = report.Status != HealthStatus.Unhealthy;
            }

            context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(ready ? "ready\n" : "not ready\n", context.RequestAborted);
        });
    }
}
