using System.Globalization;
using PatternOne.Scheduler.Discovery;
using PatternOne.ServiceDefaults.Configuration;

namespace PatternOne.Scheduler;

/// <summary>
/// The scheduler's configuration that upstream's EPP has no flag for, as the other parts write it
/// (<see cref="ServiceSettings"/>): a static endpoint list (locally, Aspire is the discovery), the pool's name when no InferencePool is watched, a built-in profile by name. Everything
/// upstream has a flag for (ports, config file, TLS, drain, discovery by InferencePool or selector) is written as that
/// flag (<see cref="Hosting.EndpointPickerFlags"/>), so there is one set of names: upstream's. Every key is built from
/// <see cref="SchedulerOptions"/>' and <see cref="InferencePoolOptions"/>' own property names, so renaming an option is
/// a compile error in every writer.
/// </summary>
public sealed record SchedulerSettings : ServiceSettings
{
    /// <summary>A built-in profile by name; an EndpointPickerConfig (<c>--config-file</c>) wins over it.</summary>
    public string? Profile { get; init; }

    public string? PoolName { get; init; }

    public DiscoveryMode? Discovery { get; init; }

    /// <summary>The static pool's endpoints, <c>host:port</c>.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    protected override IEnumerable<KeyValuePair<string, string?>> Entries()
    {
        yield return Entry(Keys.Profile, Profile);
        yield return Entry(Keys.PoolName, PoolName);
        yield return Entry(Keys.PoolDiscovery, Discovery?.ToString());
        for (var i = 0; i < Endpoints.Count; i++)
        {
            yield return Entry(Keys.PoolEndpoint(i), Endpoints[i]);
        }
    }

    /// <summary>The configuration keys, for writers that know a value only later (Aspire endpoints, references).</summary>
    public static class Keys
    {
        public const string Section = SchedulerOptions.SectionName;
        public const string Profile = Section + ":" + nameof(SchedulerOptions.Profile);

        public const string PoolSection = InferencePoolOptions.SectionName;
        public const string PoolName = PoolSection + ":" + nameof(InferencePoolOptions.Name);
        public const string PoolDiscovery = PoolSection + ":" + nameof(InferencePoolOptions.Discovery);

        public static string PoolEndpoint(int index) =>
            $"{PoolSection}:{nameof(InferencePoolOptions.Endpoints)}:{index.ToString(CultureInfo.InvariantCulture)}";
    }
}

/// <summary>
/// The gRPC health services the scheduler reports on its health port (upstream EPP's names), as its probes ask for
/// them: the scheduler's host maps them, the Kubernetes publisher writes them into the probes.
/// </summary>
public static class SchedulerHealthServices
{
    /// <summary>The process alone, not pool discovery: a slow API server must not restart the scheduler.</summary>
    public const string Liveness = "liveness";

    /// <summary>Pool synced, endpoints scraped, not draining (upstream's readiness probe).</summary>
    public const string Readiness = "readiness";

    /// <summary>The ext_proc service's own name; the same checks as <see cref="Readiness"/> (upstream's convention).</summary>
    public const string ExtProc = PatternOne.ExtProcContract.ExtProcNames.ServiceName;
}
