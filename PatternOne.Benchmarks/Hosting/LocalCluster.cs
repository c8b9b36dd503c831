using System.Globalization;
using PatternOne.Benchmarks.Cli;
using PatternOne.Gateway;
using PatternOne.Scheduler;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Hosting;

namespace PatternOne.Benchmarks.Hosting;

/// <summary>
/// The system of the contract, started from the built dlls on loopback ports:
/// <code>
///   client ─▶ gateway :http/:https ─ext_proc─▶ scheduler :extproc
///                 └────────────────────────▶ simulator replicas :port0..N-1 (scraped by the scheduler)
/// </code>
/// Configuration uses exactly the contract's keys (Gateway:*, Scheduler:*, InferencePool:*) and the simulator's
/// vLLM-style flags, so this is the same system the AppHost runs.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    public const string PoolName = "qwen2-3b-pattern1";
    public const string RoutePrefix = "/llm-d-inference-scheduling/qwen2-3b-pattern1/";
    public const string Model = "Qwen/Qwen2.5-3B-Instruct";

    private readonly List<ServiceProcess> _processes = [];

    public required IReadOnlyList<int> ReplicaPorts { get; init; }

    public required int GatewayHttpPort { get; init; }

    public required int GatewayHttpsPort { get; init; }

    public required int SchedulerMetricsPort { get; init; }

    public IReadOnlyList<ServiceProcess> Processes => _processes;

    public Uri ReplicaUri(int index, string path) => new($"http://127.0.0.1:{ReplicaPorts[index]}/{path.TrimStart('/')}");

    public Uri GatewayUri(bool https, string path) => https
        ? new($"https://127.0.0.1:{GatewayHttpsPort}{RoutePrefix}{path.TrimStart('/')}")
        : new($"http://127.0.0.1:{GatewayHttpPort}{RoutePrefix}{path.TrimStart('/')}");

    /// <summary>Options of one cluster start.</summary>
    public sealed record Spec
    {
        public int Replicas { get; init; } = 2;

        /// <summary>Simulator <c>--time-scale</c> (how many times faster than real time).</summary>
        public double TimeScale { get; init; } = 1;

        public int MaxModelLen { get; init; } = 2048;

        /// <summary>Further simulator flags (e.g. KV pool size).</summary>
        public IReadOnlyList<string> ExtraSimulatorArgs { get; init; } = [];

        /// <summary>EndpointPickerConfig YAML for the scheduler (null: its built-in default profile).</summary>
        public string? SchedulerConfigYaml { get; init; }

        public required string WorkDirectory { get; init; }

        public required string CertPath { get; init; }

        public required string KeyPath { get; init; }
    }

    /// <summary>
    /// Starts the cluster on fresh ports, again (up to <see cref="StartAttempts"/> times) when a process lost its port to
    /// another one between <see cref="ServiceProcess.FreePort"/> and its bind — that race is inherent to handing out
    /// free ports, and on a machine running tests in parallel it does happen.
    /// </summary>
    public static async Task<LocalCluster> StartAsync(RepoLayout repo, Spec spec, HttpClient probe, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(repo, spec, probe, cancellationToken);
            }
            catch (ServiceExitedException ex) when (attempt < StartAttempts && ex.LostItsPort)
            {
                // The failed attempt's processes are stopped; the next one draws new ports.
            }
        }
    }

    private const int StartAttempts = 3;

    private static async Task<LocalCluster> StartOnceAsync(RepoLayout repo, Spec spec, HttpClient probe, CancellationToken cancellationToken)
    {
        var (gatewayDll, schedulerDll, simulatorDll) = ServiceDlls(repo);
        var ports = Enumerable.Range(0, spec.Replicas).Select(_ => ServiceProcess.FreePort()).ToArray();
        var cluster = new LocalCluster
        {
            ReplicaPorts = ports,
            GatewayHttpPort = ServiceProcess.FreePort(),
            GatewayHttpsPort = ServiceProcess.FreePort(),
            SchedulerMetricsPort = ServiceProcess.FreePort(),
        };
        try
        {
            cluster.StartReplicas(simulatorDll, spec);
            var extProcPort = ServiceProcess.FreePort();
            await cluster.StartSchedulerAsync(schedulerDll, spec, extProcPort, cancellationToken);
            var statusPort = ServiceProcess.FreePort();
            cluster.StartGateway(gatewayDll, spec, extProcPort, statusPort);
            await cluster.WaitReadyAsync(spec, statusPort, probe, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The built dlls of gateway, scheduler and simulator; a clear error when any is missing.</summary>
    private static (string Gateway, string Scheduler, string Simulator) ServiceDlls(RepoLayout repo)
    {
        var gatewayDll = repo.Dll(RepoLayout.Gateway);
        var schedulerDll = repo.Dll(RepoLayout.Scheduler);
        var simulatorDll = repo.Dll(RepoLayout.Simulator);
        if (gatewayDll is null || schedulerDll is null || simulatorDll is null)
        {
            throw new ClusterUnavailableException(
                $"built service dlls not found under {repo.Root ?? "(no repository found)"} for configuration {repo.Configuration} " +
                $"(gateway: {gatewayDll ?? "missing"}, scheduler: {schedulerDll ?? "missing"}, simulator: {simulatorDll ?? "missing"}); " +
                $"run `dotnet build PatternOne.sln -c {repo.Configuration}` first");
        }

        return (gatewayDll, schedulerDll, simulatorDll);
    }

    /// <summary>One simulator process per replica, with vLLM's flags for the seed's model.</summary>
    private void StartReplicas(string simulatorDll, Spec spec)
    {
        var empty = new Dictionary<string, string>();
        for (var i = 0; i < spec.Replicas; i++)
        {
            var args = new List<string>
            {
                simulatorDll, "--host", "127.0.0.1", "--port", ReplicaPorts[i].ToString(CultureInfo.InvariantCulture),
                "--model", Model, "--served-model-name", Model, "--dtype=half",
                "--max-model-len=" + spec.MaxModelLen.ToString(CultureInfo.InvariantCulture),
                "--tensor-parallel-size=4", "--enable-prompt-tokens-details",
                "--time-scale", spec.TimeScale.ToString(CultureInfo.InvariantCulture),
            };
            args.AddRange(spec.ExtraSimulatorArgs);
            _processes.Add(ServiceProcess.Start($"{PoolName}-{i}", "dotnet", args, empty, spec.WorkDirectory));
        }
    }

    /// <summary>The scheduler over the replicas as a static pool, with the spec's EndpointPickerConfig if it has one.</summary>
    private async Task StartSchedulerAsync(string schedulerDll, Spec spec, int extProcPort, CancellationToken cancellationToken)
    {
        var schedulerConfig = spec.SchedulerConfigYaml is null ? null : Path.Combine(spec.WorkDirectory, "epp-config.yaml");
        if (schedulerConfig is not null)
        {
            await File.WriteAllTextAsync(schedulerConfig, spec.SchedulerConfigYaml, cancellationToken);
        }

        // Upstream's flags where upstream has one (plaintext and no drain, as the local stack); the static
        // endpoint list has none.
        var schedulerArgs = (EndpointPickerFlags.Plaintext with
        {
            GrpcPort = extProcPort,
            GrpcHealthPort = ServiceProcess.FreePort(),
            MetricsPort = SchedulerMetricsPort,
            ConfigFile = schedulerConfig,
        }).ToArgs();
        var schedulerEnv = new SchedulerSettings
        {
            PoolName = PoolName,
            Discovery = DiscoveryMode.Static,
            Endpoints = [.. ReplicaPorts.Select(port => $"127.0.0.1:{port}")],
        }.ToEnvironment();
        _processes.Add(ServiceProcess.Start("scheduler", "dotnet", [schedulerDll, .. schedulerArgs], schedulerEnv, spec.WorkDirectory));
    }

    /// <summary>The gateway: TLS, the route prefix to the pool, the scheduler as its endpoint picker over ext_proc (FailClose).</summary>
    private void StartGateway(string gatewayDll, Spec spec, int extProcPort, int statusPort)
    {
        var gatewayEnv = new GatewaySettings
        {
            HttpPort = GatewayHttpPort,
            HttpsPort = GatewayHttpsPort,
            StatusPort = statusPort,
            MetricsPort = ServiceProcess.FreePort(),
            TlsCertificatePath = spec.CertPath,
            TlsKeyPath = spec.KeyPath,
            Routes = [new GatewayRouteSettings(RoutePrefix, PoolName)],
            Pools =
            [
                new GatewayPoolSettings(PoolName)
                {
                    EndpointPicker = $"http://127.0.0.1:{extProcPort}",
                    Endpoints = [.. ReplicaPorts.Select(port => $"127.0.0.1:{port}")],
                    FailureMode = FailureMode.FailClose,
                },
            ],
        }.ToEnvironment();

        _processes.Add(ServiceProcess.Start("gateway", "dotnet", [gatewayDll], gatewayEnv, spec.WorkDirectory));
    }

    /// <summary>Waits until every replica, then the scheduler, then the gateway answers its readiness probe.</summary>
    private async Task WaitReadyAsync(Spec spec, int statusPort, HttpClient probe, CancellationToken cancellationToken)
    {
        var ready = TimeSpan.FromSeconds(60);
        for (var i = 0; i < spec.Replicas; i++)
        {
            await _processes[i].WaitReadyAsync(probe, ReplicaUri(i, "health"), ready, cancellationToken);
        }

        await _processes[spec.Replicas].WaitReadyAsync(probe, new Uri($"http://127.0.0.1:{SchedulerMetricsPort}/health"), ready, cancellationToken);
        await _processes[spec.Replicas + 1].WaitReadyAsync(probe, new Uri($"http://127.0.0.1:{statusPort}/healthz/ready"), ready, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(_processes))
        {
            await p.DisposeAsync();
        }

        _processes.Clear();
    }
}

/// <summary>The HTTP scenarios cannot start the system here (dlls not built, a process failed to start).</summary>
public sealed class ClusterUnavailableException(string message) : Exception(message);
