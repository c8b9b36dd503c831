namespace PatternOne.AppHost.Recovery;

/// <summary>
/// Marks a resource that the AppHost restarts when it exits on its own, as a Deployment's pod is restarted by the
/// kubelet (<c>restartPolicy: Always</c> with CrashLoopBackOff): after <see cref="InitialBackoff"/>, doubling per
/// consecutive restart up to <see cref="MaxBackoff"/>, back to the start once it has run <see cref="StableAfter"/>.
/// The kubelet's own figures are 10 s doubling to 5 min, reset after 10 min; a laptop stack wants its replica back sooner.
/// </summary>
public sealed record RestartPolicyAnnotation : IResourceAnnotation
{
    /// <summary>Wait before the first restart. Default 1 second.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between restarts of a resource that keeps exiting. Default 30 seconds.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Running this long resets the backoff. Default 60 seconds.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(60);
}
