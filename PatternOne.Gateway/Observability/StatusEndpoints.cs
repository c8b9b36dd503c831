using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PatternOne.Gateway.Observability;

/// <summary>
/// The status port, as Istio's 15021: <c>/healthz/ready</c> for the load balancer and Kubernetes, plus the service
/// defaults' <c>/health</c> and <c>/alive</c> for Aspire.
/// </summary>
internal static class StatusEndpoints
{
    public const string ReadinessPath = "/healthz/ready";

    public static void Map(IApplicationBuilder app)
    {
        app.UseHealthChecks(ServiceDefaultsExtensions.HealthPath);
        app.UseHealthChecks(ServiceDefaultsExtensions.AlivePath, new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
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
                var report = await context.RequestServices.GetRequiredService<HealthCheckService>().CheckHealthAsync(context.RequestAborted);
                ready = report.Status != HealthStatus.Unhealthy;
            }

            context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(ready ? "ready\n" : "not ready\n", context.RequestAborted);
        });
    }
}
