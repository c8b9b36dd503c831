namespace PatternOne.Scheduler.Profiles;

/// <summary>
/// The scheduler's configuration file, modelled on upstream's <c>EndpointPickerConfig</c>
/// (apiVersion <c>inference.networking.x-k8s.io/v1alpha1</c> or <c>llm-d.ai/v1alpha1</c>): plugin instances with
/// parameters, and scheduling profiles that reference them with weights. Upstream sections this service does not
/// model (<c>featureGates</c>, <c>dataLayer</c>, <c>flowControl</c>…) are accepted and ignored.
/// </summary>
public sealed class EndpointPickerConfig
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public List<PluginSpec> Plugins { get; set; } = [];

    public List<SchedulingProfileSpec> SchedulingProfiles { get; set; } = [];

    public SaturationDetectorSpec? SaturationDetector { get; set; }
}

/// <summary>One plugin instance: <c>{type, name?, parameters?}</c>; the name defaults to the type.</summary>
public sealed class PluginSpec
{
    public string? Name { get; set; }

    public string Type { get; set; } = "";

    public Dictionary<string, object?>? Parameters { get; set; }
}

/// <summary>A scheduling profile: filters, weighted scorers and one picker, by reference.</summary>
public sealed class SchedulingProfileSpec
{
    public string Name { get; set; } = "";

    public List<ProfilePluginRef> Plugins { get; set; } = [];
}

/// <summary><c>{pluginRef, weight?}</c>; scorers default to weight 1.</summary>
public sealed class ProfilePluginRef
{
    public string PluginRef { get; set; } = "";

    public double? Weight { get; set; }
}

/// <summary>
/// Admission: which <c>utilization-detector</c> decides that the whole pool is saturated (upstream's
/// <c>saturationDetector.pluginRef</c>; the default thresholds when absent), and whether that rejects the request
/// with 429 (<c>rejectWhenSaturated</c>, ours, default true).
/// </summary>
public sealed class SaturationDetectorSpec
{
    public string? PluginRef { get; set; }

    public bool RejectWhenSaturated { get; set; } = true;
}
