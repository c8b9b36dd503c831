using PatternOne.Scheduler.Saturation;
using PatternOne.Scheduler.Pickers;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Profiles;

/// <summary>
/// Builds <see cref="IScheduler"/>s: by built-in profile name (<see cref="BuiltInProfiles"/>), from
/// EndpointPickerConfig YAML, or from a parsed config. Every call builds fresh plugin instances, so two pickers
/// never share a prefix index or a round-robin position.
/// </summary>
public static class SchedulerFactory
{
    /// <summary>Every plugin type a config may use (ignored upstream built-ins aside).</summary>
    public static IReadOnlyList<string> KnownPluginTypes => PluginRegistry.Types;

    /// <summary>A built-in profile by name: default, load-only, least-queue, prefix-only, random, round-robin.</summary>
    public static IScheduler Create(string profileName, SchedulerEnvironment? options = null) =>
        FromYaml(BuiltInProfiles.GetYaml(profileName), options);

    /// <summary>From EndpointPickerConfig YAML text.</summary>
    public static IScheduler FromYaml(string yaml, SchedulerEnvironment? options = null) =>
        FromConfig(EndpointPickerConfigLoader.Parse(yaml), options);

    /// <summary>
    /// From a parsed config. With several scheduling profiles the one named <c>default</c> runs, else the first
    /// (this service has upstream's single-profile handler only). Errors name the offending plugin or reference.
    /// </summary>
    public static IScheduler FromConfig(EndpointPickerConfig config, SchedulerEnvironment? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new SchedulerEnvironment();

        var instances = new Dictionary<string, (PluginSpec Spec, ISchedulingPlugin? Plugin)>(StringComparer.Ordinal);
        foreach (var spec in config.Plugins)
        {
            if (string.IsNullOrWhiteSpace(spec.Type))
            {
                throw new InvalidOperationException("EndpointPickerConfig: every plugin needs a 'type'.");
            }

            var name = string.IsNullOrWhiteSpace(spec.Name) ? spec.Type : spec.Name;
            if (instances.ContainsKey(name))
            {
                throw new InvalidOperationException($"EndpointPickerConfig: plugin name '{name}' is used twice.");
            }

            instances.Add(name, (spec, CreatePlugin(name, spec)));
        }

        if (config.SchedulingProfiles.Count == 0)
        {
            throw new InvalidOperationException("EndpointPickerConfig: 'schedulingProfiles' is empty; at least one profile is needed.");
        }

        var profile = config.SchedulingProfiles.FirstOrDefault(p => p.Name == BuiltInProfiles.Default) ?? config.SchedulingProfiles[0];
        var filters = new List<IFilter>();
        var scorers = new List<(IScorer, double)>();
        IPicker? picker = null;
        foreach (var reference in profile.Plugins)
        {
            if (!instances.TryGetValue(reference.PluginRef, out var instance))
            {
                throw new InvalidOperationException(
                    $"EndpointPickerConfig: profile '{profile.Name}' references plugin '{reference.PluginRef}', which 'plugins' does not define.");
            }

            switch (instance.Plugin)
            {
                case IFilter filter:
                    filters.Add(filter);
                    break;
                case IScorer scorer:
                    var weight = reference.Weight ?? 1.0;
                    if (weight < 0 || double.IsNaN(weight) || double.IsInfinity(weight))
                    {
                        throw new InvalidOperationException($"EndpointPickerConfig: weight of '{reference.PluginRef}' must be a non-negative number.");
                    }

                    scorers.Add((scorer, weight));
                    break;
                case IPicker p when picker is null:
                    picker = p;
                    break;
                case IPicker:
                    throw new InvalidOperationException($"EndpointPickerConfig: profile '{profile.Name}' has more than one picker.");
                default:
                    break; // an upstream built-in this service provides itself
            }
        }

        picker ??= new MaxScorePicker(MaxScorePicker.PluginType, 1);
        return new ProfileScheduler(profile.Name, filters, scorers, picker, Admission(config, instances), options);
    }

    private static SaturationThresholds? Admission(
        EndpointPickerConfig config, Dictionary<string, (PluginSpec Spec, ISchedulingPlugin? Plugin)> instances)
    {
        var detector = config.SaturationDetector;
        if (detector is { RejectWhenSaturated: false })
        {
            return null;
        }

        if (detector?.PluginRef is not { Length: > 0 } reference)
        {
            return new SaturationThresholds();
        }

        return instances.TryGetValue(reference, out var instance) && instance.Plugin is SaturationFilter filter
            ? filter.Thresholds
            : throw new InvalidOperationException(
                $"EndpointPickerConfig: saturationDetector.pluginRef '{reference}' must name a '{SaturationFilter.PluginType}' plugin.");
    }

    private static ISchedulingPlugin? CreatePlugin(string name, PluginSpec spec) =>
        PluginRegistry.TryGetFactory(spec.Type, out var create) ? create(name, new PluginParameters(name, spec.Parameters))
        : PluginRegistry.BuiltInUpstreamTypes.Contains(spec.Type) ? null
        : throw new InvalidOperationException(
            $"EndpointPickerConfig: unknown plugin type '{spec.Type}'. Known types: {string.Join(", ", KnownPluginTypes)}.");
}
