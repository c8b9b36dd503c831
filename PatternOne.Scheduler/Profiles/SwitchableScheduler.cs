using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Profiles;

/// <summary>
/// The scheduler the service runs, replaceable while running by a built-in profile (the admin port's
/// <c>POST /admin/profile</c>, the dashboard's "Switch profile"). A pick already under way finishes with the scheduler it
/// started with; the next one uses the new scheduler. The new scheduler starts with an empty prefix index: what a profile
/// learned belongs to it, and the index refills within a few requests per prompt.
/// </summary>
public sealed class SwitchableScheduler(IScheduler initial, Func<string, IScheduler> createBuiltIn) : IScheduler
{
    private volatile IScheduler _current = initial;

    /// <summary>The scheduler in use now.</summary>
    public IScheduler Current => _current;

    public string ProfileName => _current.ProfileName;

    public SchedulingResult Pick(SchedulingRequest request, IReadOnlyList<EndpointSnapshot> endpoints) => _current.Pick(request, endpoints);

    public void RecordServed(SchedulingRequest request, string address) => _current.RecordServed(request, address);

    public void ForgetEndpoint(string address) => _current.ForgetEndpoint(address);

    /// <summary>The scheduler doing the work: the current one of a switchable scheduler, else <paramref name="scheduler"/> itself.</summary>
    public static IScheduler Unwrap(IScheduler scheduler) => scheduler is SwitchableScheduler switchable ? switchable.Current : scheduler;

    /// <summary>Switches to built-in profile <paramref name="profileName"/>; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public void Switch(string profileName) => _current = createBuiltIn(profileName);
}
