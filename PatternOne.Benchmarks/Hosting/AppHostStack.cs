using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatternOne.AppHost;
using PatternOne.AppHost.Operations;
using PatternOne.AppHost.Recovery;
using PatternOne.AppHost.Scheduling;
using PatternOne.Gateway;
using PatternOne.Scheduler.Metrics;
using LaunchedService = PatternOne.AppHost.Recovery.ServiceProcess;

namespace PatternOne.Benchmarks.Hosting;

/// <summary>
/// The whole stack run by the real AppHost (DistributedApplicationTestingBuilder: the orchestrator starts gateway,
/// scheduler and replicas exactly as <c>dotnet run --project PatternOne.AppHost</c> does, on ports it picks), so what a
/// fault measures includes the AppHost's own local recovery, not a restart loop of this tool. Faults are sent to the
/// service process under each resource's <c>dotnet run</c> launcher, as a crash or the OOM killer would hit it.
/// </summary>
public sealed class AppHostStack : IAsyncDisposable
{
    public const string GatewayResource = "gateway";
    public const string SchedulerResource = "scheduler";

    private readonly DistributedApplication _app;
    private readonly string _tlsDirectory;

    private AppHostStack(DistributedApplication app, string tlsDirectory, IReadOnlyList<string> replicas)
    {
        _app = app;
        _tlsDirectory = tlsDirectory;
        ReplicaNames = replicas;
    }

    /// <summary>Replica resource names in order (<c>qwen2-3b-pattern1-0</c>, …).</summary>
    public IReadOnlyList<string> ReplicaNames { get; }

    /// <summary>Every resource whose memory the scenario follows: gateway, scheduler, replicas.</summary>
    public IEnumerable<string> ServiceNames => ReplicaNames.Prepend(SchedulerResource).Prepend(GatewayResource);

    /// <summary>A path under the pool's route on the gateway's plain HTTP listener.</summary>
    public Uri GatewayUri(string path) => new(_app.GetEndpoint(GatewayResource, "http"), LocalCluster.RoutePrefix + path.TrimStart('/'));

    private ResourceNotificationService Notifications => _app.Services.GetRequiredService<ResourceNotificationService>();

    /// <summary>
    /// Starts the AppHost with <paramref name="replicas"/> replicas and the gateway's <c>Gateway:FailureMode</c>, and
    /// waits until every resource is healthy. Its TLS files go to a temporary folder (never the developer's).
    /// <paramref name="schedulerConfig"/>, when given, is the scheduler's EndpointPickerConfig (<c>Scheduler:ConfigText</c>)
    /// instead of its default profile.
    /// </summary>
    public static async Task<AppHostStack> StartAsync(int replicas, string failureMode, TimeSpan timeout, CancellationToken cancellationToken, string? schedulerConfig = null)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancellation.CancelAfter(timeout);
        var tls = Directory.CreateTempSubdirectory("patternone-bench-tls-").FullName;
        var args = new AppHostSettings { Replicas = replicas, TlsDirectory = tls, GatewayFailureMode = Enum.Parse<FailureMode>(failureMode) }.ToArgs();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PatternOne_AppHost>(args, cancellation.Token);
        // The AppHost's own log stays (restarts are logged there); the services' console lines and the health checks'
        // failures while a service is down would drown it: the report states both.
        builder.Services.AddLogging(logging => logging
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("PatternOne.AppHost.Resources", LogLevel.Warning));
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // Request logs at Information would cost CPU at the soak's rate; behaviour is unchanged.
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables["Logging__LogLevel__Default"] = "Warning"));
        }

        if (schedulerConfig is not null)
        {
            builder.Resources.OfType<ProjectResource>().Single(r => r.Name == SchedulerResource).Annotations.Add(new EnvironmentCallbackAnnotation(
                context => context.EnvironmentVariables[$"{Scheduler.SchedulerOptions.SectionName}__{nameof(Scheduler.SchedulerOptions.ConfigText)}"] = schedulerConfig));
        }

        var names = builder.Resources.OfType<ProjectResource>()
            .Where(r => r.Name.StartsWith(LocalCluster.PoolName + "-", StringComparison.Ordinal)).Select(r => r.Name).Order().ToList();
        var app = await builder.BuildAsync(cancellation.Token);
        var stack = new AppHostStack(app, tls, names);
        try
        {
            await app.StartAsync(cancellation.Token);
            foreach (var name in stack.ServiceNames)
            {
                await stack.Notifications.WaitForResourceHealthyAsync(name, cancellation.Token);
            }

            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>The pid of the service behind a resource (the child of its launcher), or null while it has none.</summary>
    public int? ServicePid(string resource)
    {
        if (Property(resource, LaunchedService.LauncherPidProperty) is not { } launcher)
        {
            return null;
        }

        var children = LaunchedService.ChildrenOf(Convert.ToInt32(launcher, CultureInfo.InvariantCulture));
        return children.Count == 1 ? children[0] : null;
    }

    /// <summary>
    /// The replica running the most requests now (its vLLM <c>/metrics</c>, as the scheduler reads them): a fault meant
    /// to hit requests in flight goes there, since prefix affinity may leave another replica idle.
    /// </summary>
    public async Task<string> BusiestReplicaAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var busiest = (Name: ReplicaNames[0], Running: -1);
        foreach (var name in ReplicaNames)
        {
            try
            {
                var bytes = await client.GetByteArrayAsync(new Uri(_app.GetEndpoint(name, "http"), "/metrics"), cancellationToken);
                if (PrometheusTextParser.TryParse(bytes, DateTimeOffset.UtcNow, out var metrics) && metrics.RunningRequests > busiest.Running)
                {
                    busiest = (name, metrics.RunningRequests);
                }
            }
            catch (HttpRequestException)
            {
                // Not answering: not the one to pick.
            }
        }

        return busiest.Name;
    }

    /// <summary>Blocks in the scheduler's prefix index (its <c>inference_extension_prefix_indexer_size</c>), or null when it does not answer.</summary>
    public async Task<long?> PrefixIndexBlocksAsync(HttpClient client, CancellationToken cancellationToken)
    {
        try
        {
            var text = await client.GetStringAsync(new Uri(_app.GetEndpoint(SchedulerResource, SchedulerBuilderExtensions.MetricsEndpointName), "/metrics"), cancellationToken);
            return (long)PrometheusSamples.Parse(text).Sum("inference_extension_prefix_indexer_size");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>A replica's KV cache as it reports it (<c>vllm:cache_config_info</c>: blocks and tokens per block), as the scheduler's autoTune reads it.</summary>
    public async Task<(long Blocks, int BlockSize)?> ReplicaKvCacheAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var bytes = await client.GetByteArrayAsync(new Uri(_app.GetEndpoint(ReplicaNames[0], "http"), "/metrics"), cancellationToken);
        return PrometheusTextParser.TryParse(bytes, DateTimeOffset.UtcNow, out var metrics) && metrics is { KvTotalBlocks: { } blocks, KvBlockSize: { } size }
            ? (blocks, size)
            : null;
    }

    /// <summary>How many times the AppHost has restarted a resource after an unexpected exit.</summary>
    public int Restarts(string resource) => Notifications.TryGetCurrentState(resource, out var current) ? RestartsIn(current.Snapshot) : 0;

    private static int RestartsIn(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == RecoveryProperties.Restarts)?.Value is { } value ? Convert.ToInt32(value, CultureInfo.InvariantCulture) : 0;

    /// <summary>Sends a signal (<see cref="PosixSignal"/>: KILL, STOP, CONT) to a resource's service process; returns the pid it went to.</summary>
    public int Signal(string resource, int signal)
    {
        var pid = ServicePid(resource) ?? throw new InvalidOperationException($"{resource} has no running service process");
        PosixSignal.Send(pid, signal);
        return pid;
    }

    /// <summary>Waits until the AppHost has restarted <paramref name="resource"/> past <paramref name="restartsBefore"/> and it is healthy again.</summary>
    public async Task WaitRestartedAndHealthyAsync(string resource, int restartsBefore, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancellation.CancelAfter(timeout);
        await Notifications.WaitForResourceAsync(
            resource,
            e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy && RestartsIn(e.Snapshot) > restartsBefore && e.Snapshot.State?.Text == KnownResourceStates.Running,
            cancellation.Token);
    }

    private object? Property(string resource, string name) =>
        Notifications.TryGetCurrentState(resource, out var current)
            ? current.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value
            : null;

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_tlsDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
