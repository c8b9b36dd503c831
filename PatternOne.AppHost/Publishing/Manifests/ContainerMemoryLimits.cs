namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The memory limits of our own containers in the published Deployments, in one place: the manifests set them, and the
/// reliability benchmark judges a soak's RSS slope against them (how long until a process would reach its limit).
/// </summary>
public static class ContainerMemoryLimits
{
    public const string Gateway = "1Gi";

    /// <summary>The seed's EPP limit.</summary>
    public const string Scheduler = "512Mi";
}
