namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The scheduler's default profile as an <c>EndpointPickerConfig</c> (upstream's config shape: gateway-api-inference-extension.sigs.k8s.io, "Configuring the EPP"): saturation filter,
/// queue-depth 2, kv-cache-utilization 2, prefix-cache 3 (64-character blocks, at most 256), max-score picker.
/// It is the very file the scheduler builds in as its <c>default</c> profile
/// (<c>PatternOne.Scheduler/Profiles/default-profile.yaml</c>, embedded in both assemblies), published as a ConfigMap so
/// that operators tune weights with <c>kubectl edit</c> and a rollout, not a rebuild.
/// </summary>
public static class SchedulerProfile
{
    public static string DefaultYaml { get; } = ReadEmbedded();

    private static string ReadEmbedded()
    {
        const string Name = "PatternOne.AppHost.Publishing.default-profile.yaml";
        using var stream = typeof(SchedulerProfile).Assembly.GetManifestResourceStream(Name)
            ?? throw new InvalidOperationException($"The AppHost was built without the scheduler's profile '{Name}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
