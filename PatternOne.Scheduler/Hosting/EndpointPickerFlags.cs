using System.Globalization;

namespace PatternOne.Scheduler.Hosting;

/// <summary>
/// Upstream's EPP command line, typed: what every writer of the scheduler's configuration (the AppHost, the Kubernetes
/// publisher, the benchmarks' local cluster, the tests' hosts) passes where upstream has a flag, so there is one set of
/// names — upstream's — and a renamed flag is a compile error in every writer. <see cref="EndpointPickerCommandLine"/>
/// reads what this writes. A value left null is not written: upstream's default applies (TLS on, 30 s drain), so a
/// writer that wants plaintext or no drain says so (<see cref="Plaintext"/>).
/// Settings upstream has no flag for (a static endpoint list, a built-in profile by name, the admin port) stay .NET
/// configuration (<see cref="SchedulerSettings"/>).
/// </summary>
public sealed record EndpointPickerFlags
{
    /// <summary>Plaintext h2c and no drain delay: a local process whose client (our gateway, a test) speaks h2c.</summary>
    public static EndpointPickerFlags Plaintext { get; } = new() { SecureServing = false, DrainTimeout = TimeSpan.Zero };

    /// <summary><c>--pool-name</c>: read and watch this InferencePool.</summary>
    public string? PoolName { get; init; }

    public string? PoolNamespace { get; init; }

    /// <summary><c>--pool-group</c>: <c>inference.networking.k8s.io</c> (v1) or <c>inference.networking.x-k8s.io</c> (v1alpha2).</summary>
    public string? PoolGroup { get; init; }

    /// <summary><c>--endpoint-selector</c>: discover the pods with these labels (no InferencePool).</summary>
    public IReadOnlyDictionary<string, string>? EndpointSelector { get; init; }

    public IReadOnlyList<int>? EndpointTargetPorts { get; init; }

    public int? GrpcPort { get; init; }

    public int? GrpcHealthPort { get; init; }

    public int? MetricsPort { get; init; }

    public string? ConfigFile { get; init; }

    public string? ConfigText { get; init; }

    public bool? SecureServing { get; init; }

    public string? CertPath { get; init; }

    /// <summary><c>--model-server-metrics-scheme</c>: <c>http</c> or <c>https</c>.</summary>
    public string? ModelServerMetricsScheme { get; init; }

    public TimeSpan? DrainTimeout { get; init; }

    /// <summary><c>--name</c> of a flag constant of <see cref="EndpointPickerCommandLine"/>.</summary>
    public static string Flag(string name) => "--" + name;

    /// <summary>The flags, in upstream's <c>--flag value</c> form (booleans as <c>--flag=true|false</c>).</summary>
    public IReadOnlyList<string> ToArgs()
    {
        List<string> args = [];
        void Add(string flag, string? value)
        {
            if (value is not null)
            {
                args.AddRange([Flag(flag), value]);
            }
        }

        Add(EndpointPickerCommandLine.PoolName, PoolName);
        Add(EndpointPickerCommandLine.PoolNamespace, PoolNamespace);
        Add(EndpointPickerCommandLine.PoolGroup, PoolGroup);
        Add(EndpointPickerCommandLine.EndpointSelector, EndpointSelector is null ? null : string.Join(",", EndpointSelector.Select(l => l.Key + "=" + l.Value)));
        Add(EndpointPickerCommandLine.EndpointTargetPorts, EndpointTargetPorts is null ? null : string.Join(",", EndpointTargetPorts.Select(p => Str(p))));
        Add(EndpointPickerCommandLine.GrpcPort, GrpcPort is { } grpc ? Str(grpc) : null);
        Add(EndpointPickerCommandLine.GrpcHealthPort, GrpcHealthPort is { } health ? Str(health) : null);
        Add(EndpointPickerCommandLine.MetricsPort, MetricsPort is { } metrics ? Str(metrics) : null);
        Add(EndpointPickerCommandLine.ConfigFile, ConfigFile);
        Add(EndpointPickerCommandLine.ConfigText, ConfigText);
        if (SecureServing is { } secure)
        {
            args.Add(Flag(EndpointPickerCommandLine.SecureServing) + "=" + (secure ? "true" : "false"));
        }

        Add(EndpointPickerCommandLine.CertPath, CertPath);
        Add(EndpointPickerCommandLine.ModelServerMetricsScheme, ModelServerMetricsScheme);
        Add(EndpointPickerCommandLine.DrainTimeout, DrainTimeout is { } drain ? GoDuration(drain) : null);
        return args;
    }

    /// <summary>
    /// The flags as the configuration they stand for, read by the scheduler's own parser (for a scheduler hosted in
    /// process, e.g. by a test: the same path as its command line).
    /// </summary>
    public IReadOnlyDictionary<string, string?> ToConfiguration() => EndpointPickerCommandLine.Parse(ToArgs()).Settings;

    /// <summary>A Go duration as upstream's flag parser reads it: whole seconds as <c>30s</c>, otherwise milliseconds.</summary>
    public static string GoDuration(TimeSpan value) => value.Ticks % TimeSpan.TicksPerSecond == 0
        ? Str((long)value.TotalSeconds) + "s"
        : Str((long)value.TotalMilliseconds) + "ms";

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
