using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Profiles;

/// <summary>
/// The picker the service runs, replaceable while running by a built-in profile (the admin port's
/// <c>POST /admin/profile</c>, the dashboard's "Switch profile"). A pick already under way finishes with the picker it
/// started with; the next one uses the new picker. The new picker starts with an empty prefix index: what a profile
/// learned belongs to it, and the index refills within a few requests per prompt.
/// </summary>
public sealed class SwitchableEndpointPicker(IEndpointPicker initial, Func<string, IEndpointPicker> createBuiltIn) : IEndpointPicker
{
    private volatile IEndpointPicker _current = initial;

    /// <summary>The picker in use now.</summary>
    public IEndpointPicker Current => _current;

    public string ProfileName => _current.ProfileName;

    public SchedulingResult Pick(SchedulingRequest request, IReadOnlyList<EndpointSnapshot> endpoints) => _current.Pick(request, endpoints);

    public void RecordServed(SchedulingRequest request, string address) => _current.RecordServed(request, address);

    public void ForgetEndpoint(string address) => _current.ForgetEndpoint(address);

    /// <summary>The picker doing the work: the current one of a switchable picker, else <paramref name="picker"/> itself.</summary>
    public static IEndpointPicker Unwrap(IEndpointPicker picker) => picker is SwitchableEndpointPicker switchable ? switchable.Current : picker;

    /// <summary>Switches to built-in profile <paramref name="profileName"/>; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public void Switch(string profileName) => _current = createBuiltIn(profileName);
}
