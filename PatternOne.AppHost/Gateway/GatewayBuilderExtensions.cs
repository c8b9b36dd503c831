using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatternOne.AppHost.Inference;
using PatternOne.AppHost.Recovery;
using PatternOne.AppHost.Scheduling;
using PatternOne.AppHost.Tls;
using PatternOne.Gateway;
using PatternOne.ServiceDefaults.Configuration;
using Keys = PatternOne.Gateway.GatewaySettings.Keys;

namespace PatternOne.AppHost.Gateway;

/// <summary>Wires the inference gateway (PatternOne.Gateway): listeners, TLS, routes to pools.</summary>
public static class GatewayBuilderExtensions
{
    public const string HttpEndpointName = "http";
    public const string HttpsEndpointName = "https";

    /// <summary>Istio's status port: <c>/healthz/ready</c> (15021 in a cluster).</summary>
    public const string StatusEndpointName = "status";

    /// <summary>Envoy-style Prometheus endpoint <c>/stats/prometheus</c> (15090 in a cluster).</summary>
    public const string MetricsEndpointName = "metrics";

    /// <summary>Container ports in a cluster; the LoadBalancer Service maps 80 → 8080 and 443 → 8443.</summary>
    public const int HttpPort = 8080, HttpsPort = 8443, StatusPort = 15021, MetricsPort = 15090;

    /// <summary>
    /// The gateway's listeners: HTTP and HTTPS, the only external endpoints of the app, on
    /// <c>Gateway:HttpPort</c> / <c>Gateway:HttpsPort</c> of the AppHost's configuration (default 8080 / 8443,
    /// standing for the seed's 80 / 443), plus the status and metrics ports.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AsInferenceGateway(this IResourceBuilder<ProjectResource> builder)
    {
        var configuration = builder.ApplicationBuilder.Configuration;
        var publishing = builder.ApplicationBuilder.ExecutionContext.IsPublishMode;
        var healthReport = builder.Resource.Name + "-health-report";
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthReport,
            _ => new GatewayHealthReportCheck(builder.GetEndpoint(StatusEndpointName)), failureStatus: null, tags: null));
        if (!publishing)
        {
            // A local stop waits for in-flight requests only briefly; a cluster gets the gateway's 30 s default.
            builder.WithEnvironment(ServiceSettings.EnvironmentKey(Keys.DrainTimeout), LocalDrain.Timeout.ToString("c", CultureInfo.InvariantCulture));
        }

        return builder
            .WithHttpEndpoint(port: configuration.GetValue(Keys.HttpPort, HttpPort), targetPort: publishing ? HttpPort : null,
                name: HttpEndpointName, env: ServiceSettings.EnvironmentKey(Keys.HttpPort))
            .WithHttpsEndpoint(port: configuration.GetValue(Keys.HttpsPort, HttpsPort), targetPort: publishing ? HttpsPort : null,
                name: HttpsEndpointName, env: ServiceSettings.EnvironmentKey(Keys.HttpsPort))
            .WithHttpEndpoint(targetPort: publishing ? StatusPort : null, name: StatusEndpointName, env: ServiceSettings.EnvironmentKey(Keys.StatusPort), isProxied: false)
            .WithHttpEndpoint(targetPort: publishing ? MetricsPort : null, name: MetricsEndpointName, env: ServiceSettings.EnvironmentKey(Keys.MetricsPort), isProxied: false)
            .WithEndpointsInEnvironment(_ => false)
            .WithExternalHttpEndpoints()
            // Readiness (as the load balancer sees it) and the gateway's full verdict (Degraded when its picker is down).
            .WithHttpHealthCheck("/healthz/ready", endpointName: StatusEndpointName)
            .WithHealthCheck(healthReport)
            .WithIconName("GlobeArrowForward");
    }

    /// <summary>Serves HTTPS with <paramref name="certificate"/> (locally the files the local CA issued).</summary>
    public static IResourceBuilder<ProjectResource> WithTlsCertificate(
        this IResourceBuilder<ProjectResource> builder, IResourceBuilder<GatewayCertificateResource> certificate)
    {
        builder.WithAnnotation(new GatewayCertificateAnnotation(certificate.Resource));
        if (certificate.Resource.LocalAuthority is { } authority)
        {
            var settings = new GatewaySettings { TlsCertificatePath = authority.CertificatePath, TlsKeyPath = authority.KeyPath };
            foreach (var (name, value) in settings.ToEnvironment())
            {
                builder.WithEnvironment(name, value);
            }

            builder.WithReferenceRelationship(certificate);
        }

        return builder;
    }

    /// <summary>
    /// Routes <paramref name="pathPrefix"/> (rewritten to <c>/</c>) to <paramref name="pool"/>, asking
    /// <paramref name="endpointPicker"/> over ext_proc for each inference request — the seed's HTTPRoute with an
    /// InferencePool backend. The InferencePool's failureMode comes from <paramref name="failureMode"/>, else
    /// <see cref="AppHostSettings.Keys.GatewayFailureMode"/>, else FailOpen: if the picker is down, the gateway still serves from the pool.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithInferenceRoute(
        this IResourceBuilder<ProjectResource> builder, string pathPrefix, IResourceBuilder<VllmPoolResource> pool,
        IResourceBuilder<ProjectResource> endpointPicker, string? failureMode = null)
    {
        failureMode ??= builder.ApplicationBuilder.Configuration[AppHostSettings.Keys.GatewayFailureMode] ?? nameof(FailureMode.FailOpen);
        if (failureMode is not (nameof(FailureMode.FailOpen) or nameof(FailureMode.FailClose)))
        {
            throw new ArgumentException($"Failure mode '{failureMode}' is neither FailOpen nor FailClose.", nameof(failureMode));
        }

        var routes = builder.Resource.Annotations.OfType<InferenceRouteAnnotation>().ToList();
        var index = routes.Count;
        var poolIndex = routes.Select(r => r.Pool).Distinct().TakeWhile(p => p != pool.Resource).Count();
        builder.WithAnnotation(new InferenceRouteAnnotation(pathPrefix, pool.Resource, endpointPicker.Resource, failureMode));

        var extProc = endpointPicker.GetEndpoint(SchedulerBuilderExtensions.ExtProcEndpointName);
        return builder
            .WithEnvironment(ServiceSettings.EnvironmentKey(Keys.RoutePathPrefix(index)), pathPrefix)
            .WithEnvironment(ServiceSettings.EnvironmentKey(Keys.RoutePool(index)), pool.Resource.Name)
            .WithEnvironment(ServiceSettings.EnvironmentKey(Keys.PoolName(poolIndex)), pool.Resource.Name)
            .WithEnvironment(ServiceSettings.EnvironmentKey(Keys.PoolFailureMode(poolIndex)), failureMode)
            .WithEnvironment(ServiceSettings.EnvironmentKey(Keys.PoolEndpointPicker(poolIndex)),
                ReferenceExpression.Create($"http://{extProc.Property(EndpointProperty.IPV4Host)}:{extProc.Property(EndpointProperty.Port)}"))
            .WithEnvironment(context =>
            {
                var replica = 0;
                foreach (var address in pool.Resource.GetReplicaAddresses())
                {
                    context.EnvironmentVariables[ServiceSettings.EnvironmentKey(Keys.PoolEndpoint(poolIndex, replica++))] = address;
                }
            })
            .WithReferenceRelationship(endpointPicker)
            .WaitFor(endpointPicker);
    }
}

/// <summary>A path-prefix route to an inference pool; the publisher reads it.</summary>
public sealed record InferenceRouteAnnotation(string PathPrefix, VllmPoolResource Pool, IResource EndpointPicker, string FailureMode)
    : IResourceAnnotation;

/// <summary>The certificate the gateway serves; the publisher reads it.</summary>
public sealed record GatewayCertificateAnnotation(GatewayCertificateResource Certificate) : IResourceAnnotation;
