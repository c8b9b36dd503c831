using System.Globalization;
using Microsoft.Extensions.Configuration;
using PatternOne.AppHost.Recovery;

namespace PatternOne.AppHost.Inference;

/// <summary>Builder extensions that model the seed's vLLM workload.</summary>
public static class VllmPoolBuilderExtensions
{
    /// <summary>Name of the replicas' HTTP endpoint (vLLM's OpenAI-compatible server).</summary>
    public const string ReplicaEndpointName = "http";

    /// <summary>
    /// Adds a vLLM pool serving <paramref name="model"/>. Its replica count comes from
    /// <see cref="AppHostSettings.Keys.Replicas"/> (default 1, shared by run and publish) unless <see cref="WithReplicas"/> sets it.
    /// </summary>
    public static IResourceBuilder<VllmPoolResource> AddVllmPool(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, string model)
    {
        var pool = new VllmPoolResource(name, model);
        var poolBuilder = builder.AddResource(pool)
            .WithIconName("ServerMultiple")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "vLLM pool",
                State = KnownResourceStates.Starting,
                Properties = [],
            })
            .WithManifestPublishingCallback(context =>
            {
                // A custom type so that Aspire's manifest stays valid; our own publisher writes the Kubernetes objects.
                context.Writer.WriteString("type", "vllm-pool.v0");
                context.Writer.WriteString("model", pool.Model);
                context.Writer.WriteNumber("replicas", pool.Replicas);
                if (pool.Tpu is { } tpu)
                {
                    context.Writer.WriteString("tpuAccelerator", tpu.AcceleratorType);
                    context.Writer.WriteString("tpuTopology", tpu.Topology);
                }

                return Task.CompletedTask;
            })
            .OnInitializeResource(ReportPoolStateAsync);

        return poolBuilder.WithReplicas(builder.Configuration.GetValue(AppHostSettings.Keys.Replicas, 1));
    }

    /// <summary>Sets the replica count; in run mode adds or removes simulator processes to match.</summary>
    public static IResourceBuilder<VllmPoolResource> WithReplicas(this IResourceBuilder<VllmPoolResource> builder, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        var pool = builder.Resource;
        pool.Replicas = replicas;
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        while (pool.ReplicaBuilders.Count > replicas)
        {
            var last = pool.ReplicaBuilders[^1];
            builder.ApplicationBuilder.Resources.Remove(last.Resource);
            pool.ReplicaBuilders.RemoveAt(pool.ReplicaBuilders.Count - 1);
        }

        while (pool.ReplicaBuilders.Count < replicas)
        {
            pool.ReplicaBuilders.Add(AddSimulatorReplica(builder, pool.ReplicaBuilders.Count));
        }

        return builder;
    }

    /// <summary>Places every replica on a TPU slice (publish: node selectors, toleration, <c>google.com/tpu</c>).</summary>
    public static IResourceBuilder<VllmPoolResource> WithTpu(this IResourceBuilder<VllmPoolResource> builder, TpuAccelerator tpu)
    {
        builder.Resource.Tpu = tpu;
        return builder;
    }

    /// <summary>Adds vLLM engine flags, passed to real vLLM when published and to the simulator locally.</summary>
    public static IResourceBuilder<VllmPoolResource> WithVllmArgs(this IResourceBuilder<VllmPoolResource> builder, params string[] args)
    {
        builder.Resource.VllmArgs.AddRange(args);
        return builder;
    }

    /// <summary>
    /// The replicas' endpoints as "ip:port" — the form the endpoint-picker protocol uses in
    /// <c>x-gateway-destination-endpoint</c>.
    /// </summary>
    public static IEnumerable<ReferenceExpression> GetReplicaAddresses(this VllmPoolResource pool) =>
        pool.ReplicaBuilders.Select(replica =>
        {
            var endpoint = replica.GetEndpoint(ReplicaEndpointName);
            return ReferenceExpression.Create(
                $"{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}");
        });

    private static IResourceBuilder<ProjectResource> AddSimulatorReplica(IResourceBuilder<VllmPoolResource> poolBuilder, int index)
    {
        var pool = poolBuilder.Resource;
        var configuration = poolBuilder.ApplicationBuilder.Configuration;
        var replica = poolBuilder.ApplicationBuilder
            .AddProject<Projects.PatternOne_VllmSimulator>($"{pool.Name}-{index}", options => options.ExcludeLaunchProfile = true)
            // Not proxied: the scheduler names replicas by ip:port and must reach each one directly, as in a cluster.
            .WithHttpEndpoint(name: ReplicaEndpointName, isProxied: false)
            .WithEndpointsInEnvironment(_ => false);
        var endpoint = replica.GetEndpoint(ReplicaEndpointName);
        return replica
            .WithArgs(context =>
            {
                context.Args.Add("--host");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--model");
                context.Args.Add(pool.Model);
                context.Args.Add("--served-model-name");
                context.Args.Add(pool.ServedModelName);
                foreach (var arg in pool.VllmArgs)
                {
                    context.Args.Add(arg);
                }

                // Locally the usage carries cached tokens, so users see prefix caching at work.
                context.Args.Add("--enable-prompt-tokens-details");
                // A local stop waits for in-flight requests only briefly (vLLM's flag; vLLM's own default is 0).
                context.Args.Add("--shutdown-timeout");
                context.Args.Add(((int)LocalDrain.Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture));
                if (configuration[AppHostSettings.Keys.TimeScale] is { Length: > 0 } timeScale)
                {
                    context.Args.Add("--time-scale");
                    context.Args.Add(timeScale);
                }
            })
            .WithHttpHealthCheck("/health", endpointName: ReplicaEndpointName)
            .WithParentRelationship(poolBuilder)
            .WithIconName("BrainCircuit");
    }

    private static async Task ReportPoolStateAsync(VllmPoolResource pool, InitializeResourceEvent @event, CancellationToken cancellationToken)
    {
        await @event.Notifications.PublishUpdateAsync(pool, snapshot => snapshot with
        {
            State = KnownResourceStates.Running,
            StartTimeStamp = DateTime.UtcNow,
            Properties =
            [
                new("vllm.model", pool.Model) { DisplayName = "Model" },
                new("vllm.replicas", pool.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)) { DisplayName = "Replicas" },
                new("vllm.accelerator", pool.Tpu is { } tpu ? $"{tpu.AcceleratorType} {tpu.Topology} ({tpu.Chips} chips)" : "none") { DisplayName = "Accelerator (published)" },
                new("vllm.args", string.Join(' ', pool.VllmArgs)) { DisplayName = "vLLM args" },
                new("vllm.local", "PatternOne.VllmSimulator") { DisplayName = "Runs locally as" },
            ],
        }).WaitAsync(cancellationToken);
    }
}
