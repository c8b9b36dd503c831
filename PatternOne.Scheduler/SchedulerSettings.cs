using System.Globalization;
using PatternOne.Scheduler.Discovery;

namespace PatternOne.Scheduler;

/// <summary>
/// The scheduler's configuration as the other parts write it — the AppHost's wiring, the Kubernetes publisher, the
/// benchmarks' local cluster, the tests' hosts. Every key is built from <see cref="SchedulerOptions"/>' and
/// <see cref="InferencePoolOptions"/>' own property names, so renaming an option is a compile error in every writer.
/// A value left null is not written: the option's default applies.
/// </summary>
public sealed record SchedulerSettings
{
    public int? ExtProcPort { get; init; }

    public int? HealthPort { get; init; }

    public int? MetricsPort { get; init; }

    /// <summary>An EndpointPickerConfig YAML file; wins over <see cref="Profile"/>.</summary>
    public string? ConfigFile { get; init; }

    public string? Profile { get; init; }

    public string? PoolName { get; init; }

    public DiscoveryMode? Discovery { get; init; }

    /// <summary>The static pool's endpoints, <c>host:port</c>.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>The settings as configuration keys (<c>InferencePool:Endpoints:0</c>) and invariant-culture values.</summary>
    public Dictionary<string, string?> ToConfiguration()
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [Keys.ExtProcPort] = ExtProcPort?.ToString(CultureInfo.InvariantCulture),
            [Keys.HealthPort] = HealthPort?.ToString(CultureInfo.InvariantCulture),
            [Keys.MetricsPort] = MetricsPort?.ToString(CultureInfo.InvariantCulture),
            [Keys.ConfigFile] = ConfigFile,
            [Keys.Profile] = Profile,
            [Keys.PoolName] = PoolName,
            [Keys.PoolDiscovery] = Discovery?.ToString(),
        };
        for (var i = 0; i < Endpoints.Count; i++)
        {
            settings[Keys.PoolEndpoint(i)] = Endpoints[i];
        }

        return settings.Where(p => p.Value is not null).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>The settings as environment variables (<c>InferencePool__Endpoints__0</c>).</summary>
    public Dictionary<string, string> ToEnvironment() => ToConfiguration().ToDictionary(p => Keys.ToEnvironment(p.Key), p => p.Value!, StringComparer.Ordinal);

    /// <summary>The configuration keys, for writers that know a value only later (Aspire endpoints, references).</summary>
    public static class Keys
    {
        public const string Section = SchedulerOptions.SectionName;
        public const string ExtProcPort = Section + ":" + nameof(SchedulerOptions.ExtProcPort);
        public const string HealthPort = Section + ":" + nameof(SchedulerOptions.HealthPort);
        public const string MetricsPort = Section + ":" + nameof(SchedulerOptions.MetricsPort);
        public const string ConfigFile = Section + ":" + nameof(SchedulerOptions.ConfigFile);
        public const string Profile = Section + ":" + nameof(SchedulerOptions.Profile);

        public const string PoolSection = InferencePoolOptions.SectionName;
        public const string PoolName = PoolSection + ":" + nameof(InferencePoolOptions.Name);
        public const string PoolDiscovery = PoolSection + ":" + nameof(InferencePoolOptions.Discovery);

        public static string PoolEndpoint(int index) =>
            $"{PoolSection}:{nameof(InferencePoolOptions.Endpoints)}:{index.ToString(CultureInfo.InvariantCulture)}";

        /// <summary>A key's environment-variable form: <c>:</c> becomes <c>__</c>, as .NET's environment provider reads it.</summary>
        public static string ToEnvironment(string key) => key.Replace(":", "__", StringComparison.Ordinal);
    }
}
