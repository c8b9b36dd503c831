using PatternOne.Scheduler.Profiles;

namespace PatternOne.Scheduler;

/// <summary>The scheduler's listeners and profile, bound from section <c>Scheduler</c> and validated on start.</summary>
public sealed class SchedulerOptions
{
    public const string SectionName = "Scheduler";

    /// <summary>ext_proc gRPC port (h2c, or TLS when <see cref="Tls"/> is set). Default 9002 (upstream <c>--grpc-port</c>).</summary>
    public int ExtProcPort { get; set; } = 9002;

    /// <summary>grpc.health.v1 port (h2c). Default 9003 (upstream <c>--grpc-health-port</c>).</summary>
    public int HealthPort { get; set; } = 9003;

    /// <summary>Prometheus <c>/metrics</c> plus HTTP <c>/health</c> and <c>/alive</c>. Default 9090 (upstream <c>--metrics-port</c>).</summary>
    public int MetricsPort { get; set; } = 9090;

    /// <summary>
    /// Operator port on the loopback interface only (<c>GET|POST /admin/profile</c>: read or switch the built-in profile
    /// without a restart); 0, the default, serves none. Loopback keeps it off the network: locally the AppHost calls
    /// it, in a cluster <c>kubectl port-forward</c> reaches it.
    /// </summary>
    public int AdminPort { get; set; }

    /// <summary>Optional path of an EndpointPickerConfig YAML file (<c>--config-file</c>); wins over the others.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>An EndpointPickerConfig as text (<c>--config-text</c>); wins over <see cref="Profile"/>.</summary>
    public string? ConfigText { get; set; }

    /// <summary>Built-in profile used without a config file: default, load-only, least-queue, prefix-only, random, round-robin. Default <c>default</c>.</summary>
    public string Profile { get; set; } = BuiltInProfiles.Default;

    /// <summary>
    /// How long a request this scheduler routed may count as in flight without its completion being seen; older
    /// entries are taken as leaked and dropped. Default 5 minutes: longer than the pool's longest request
    /// (2,048 tokens), short enough that a lost stream does not skew the in-flight scorer for long.
    /// </summary>
    public TimeSpan InFlightTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Serve ext_proc over TLS. Configured the .NET way the default is plaintext h2c (what the local stack uses);
    /// started with upstream's command line, <c>--secure-serving</c> defaults to true as upstream's.
    /// </summary>
    public SchedulerTlsOptions Tls { get; set; } = new();
}

/// <summary>
/// The ext_proc listener's certificate: PEM files (<see cref="CertificatePath"/>, <see cref="KeyPath"/>), or
/// <c>tls.crt</c>/<c>tls.key</c> in <see cref="CertPath"/>, or self-signed when <see cref="SecureServing"/> alone.
/// </summary>
public sealed class SchedulerTlsOptions
{
    /// <summary>PEM certificate (may hold the chain).</summary>
    public string? CertificatePath { get; set; }

    public string? KeyPath { get; set; }

    /// <summary>Serve TLS (<c>--secure-serving</c>); self-signed unless a certificate is given. Default false.</summary>
    public bool SecureServing { get; set; }

    /// <summary>Directory holding <c>tls.crt</c> and <c>tls.key</c> (<c>--cert-path</c>), e.g. a mounted Secret.</summary>
    public string? CertPath { get; set; }

    public bool Enabled => SecureServing || !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(CertPath);
}
