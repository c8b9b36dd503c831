namespace PatternOne.AppHost.Recovery;

/// <summary>
/// The services' drain timeout when the AppHost runs them (run mode), shorter than in a cluster so a local stop is
/// prompt. DCP stops a project by sending SIGTERM to its <c>dotnet run</c> launcher (forwarded to the service) and kills
/// the launcher about 6 s later (measured); 3 s of drain plus the 1 s telemetry flush ends inside that. The scheduler
/// has no drain locally (<c>--drain-timeout 0s</c>): upstream's drain waits out its whole timeout even when idle.
/// </summary>
public static class LocalDrain
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
}
