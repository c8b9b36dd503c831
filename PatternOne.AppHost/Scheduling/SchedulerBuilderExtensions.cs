using PatternOne.AppHost.Inference;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Hosting;
using PatternOne.ServiceDefaults;
using PatternOne.ServiceDefaults.Configuration;
using Flags = PatternOne.Scheduler.Hosting.EndpointPickerCommandLine;
using Keys = PatternOne.Scheduler.SchedulerSettings.Keys;

namespace PatternOne.AppHost.Scheduling;

/// <summary>Wires the endpoint picker (PatternOne.Scheduler) to the pool it schedules over.</summary>
public static class SchedulerBuilderExtensions
{
    /// <summary>ext_proc gRPC (h2c) endpoint; 9002 in a cluster, as the InferencePool's endpointPickerRef.</summary>
    public const string ExtProcEndpointName = "grpc";

    /// <summary>grpc.health.v1 endpoint; 9003 in a cluster.</summary>
    public const string HealthEndpointName = "grpc-health";

    /// <summary>Prometheus metrics (and HTTP health) endpoint; 9090 in a cluster.</summary>
    public const string MetricsEndpointName = "metrics";

    /// <summary>
    /// The operator port (loopback only, run mode only): <c>GET|POST /admin/profile</c> reads or switches the built-in
    /// profile without a restart. Not published: in a cluster nothing but <c>kubectl port-forward</c> should reach it.
    /// </summary>
    public const string AdminEndpointName = "admin";

    /// <summary>The scheduler's built-in profiles (PatternOne.Scheduler's <c>BuiltInProfiles.Names</c>; a test keeps them equal).</summary>
    public static readonly IReadOnlyList<string> BuiltInProfiles = ["default", "load-only", "least-queue", "prefix-only", "random", "round-robin"];

    /// <summary>Ports the scheduler listens on in a cluster (locally Aspire assigns free ones).</summary>
    public const int ExtProcPort = 9002, HealthPort = 9003, MetricsPort = 9090;

    /// <summary>
    /// Makes this project the endpoint picker of <paramref name="pool"/>: its endpoints (ext_proc, gRPC health,
    /// metrics) and the pool's replicas as a static endpoint list — locally, Aspire is the discovery. The ports go to
    /// the scheduler as upstream's flags (<c>--grpc-port</c>, <c>--grpc-health-port</c>, <c>--metrics-port</c>), with
    /// <c>--secure-serving=false --drain-timeout 0s</c>: the local gateway speaks h2c, and a local stop should not wait
    /// out a drain. What upstream has no flag for (the static endpoint list, the admin port) is configuration.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AsEndpointPicker(
        this IResourceBuilder<ProjectResource> builder, IResourceBuilder<VllmPoolResource> pool)
    {
        var publishing = builder.ApplicationBuilder.ExecutionContext.IsPublishMode;
        // Not proxied: the gateway opens one ext_proc stream per request, and a local proxy hop would add to every one.
        builder
            .WithAnnotation(new EndpointPickerAnnotation(pool.Resource))
            .WithEndpoint(name: ExtProcEndpointName, scheme: "http", targetPort: publishing ? ExtProcPort : null, isProxied: false)
            .WithEndpoint(name: HealthEndpointName, scheme: "http", targetPort: publishing ? HealthPort : null, isProxied: false)
            .WithHttpEndpoint(name: MetricsEndpointName, targetPort: publishing ? MetricsPort : null, isProxied: false)
            .WithEndpointsInEnvironment(_ => false)
            .WithArgs(context =>
            {
                foreach (var (flag, endpoint) in new[] { (Flags.GrpcPort, ExtProcEndpointName), (Flags.GrpcHealthPort, HealthEndpointName), (Flags.MetricsPort, MetricsEndpointName) })
                {
                    context.Args.Add(EndpointPickerFlags.Flag(flag));
                    context.Args.Add(builder.GetEndpoint(endpoint).Property(EndpointProperty.TargetPort));
                }

                foreach (var arg in EndpointPickerFlags.Plaintext.ToArgs())
                {
                    context.Args.Add(arg);
                }
            })
            .WithEnvironment(ServiceSettings.EnvironmentKey(Keys.PoolName), pool.Resource.Name)
            .WithEnvironment(ServiceSettings.EnvironmentKey(Keys.PoolDiscovery), nameof(DiscoveryMode.Static))
            .WithEnvironment(context =>
            {
                var index = 0;
                foreach (var address in pool.Resource.GetReplicaAddresses())
                {
                    context.EnvironmentVariables[ServiceSettings.EnvironmentKey(Keys.PoolEndpoint(index++))] = address;
                }
            })
            .WithHttpHealthCheck(HealthEndpoints.HealthPath, endpointName: MetricsEndpointName)
            .WithIconName("BranchFork");
        if (builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            builder.WithHttpEndpoint(name: AdminEndpointName, env: "Scheduler__AdminPort", isProxied: false);
        }

        foreach (var replica in pool.Resource.ReplicaBuilders)
        {
            builder.WithReferenceRelationship(replica);
        }

        return builder;
    }
}

/// <summary>Marks a project as the endpoint picker of a pool; the publisher reads it.</summary>
public sealed class EndpointPickerAnnotation(VllmPoolResource pool) : IResourceAnnotation
{
    public VllmPoolResource Pool { get; } = pool;
}
