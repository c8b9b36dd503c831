namespace PatternOne.Scheduler.Scheduling;

/// <summary>
/// The scheduling core, free of gRPC and HTTP: filters → weighted scorers → picker over a list of endpoint
/// snapshots. The ext_proc service drives it with scraped metrics; the benchmarks drive it in virtual time with
/// simulated ones. Build one with <see cref="Profiles.SchedulerFactory"/>.
/// </summary>
/// <remarks>
/// Thread-safe when the <see cref="Random"/> given to the factory is (the default, <see cref="Random.Shared"/>, is).
/// A pick that schedules also teaches the prefix index (when the profile has a prefix scorer) that the primary
/// endpoint now holds the request's prompt blocks, as upstream's <c>PreRequest</c> does.
/// </remarks>
public interface IScheduler
{
    /// <summary>The scheduling profile this scheduler runs (e.g. <c>default</c>).</summary>
    string ProfileName { get; }

    /// <summary>Chooses endpoints for <paramref name="request"/> among <paramref name="endpoints"/>.</summary>
    SchedulingResult Pick(SchedulingRequest request, IReadOnlyList<EndpointSnapshot> endpoints);

    /// <summary>Tells stateful plugins that the request was actually served by <paramref name="address"/> (e.g. a fallback), so the prefix index learns there too.</summary>
    void RecordServed(SchedulingRequest request, string address);

    /// <summary>Drops all state about an endpoint that left the pool (prefix index entries, round-robin position).</summary>
    void ForgetEndpoint(string address);
}
