namespace PatternOne.AppHost.Recovery;

/// <summary>Dashboard properties of a supervised resource (also read by tests).</summary>
public static class RecoveryProperties
{
    /// <summary>How many times the AppHost restarted the resource after it exited on its own.</summary>
    public const string Restarts = "recovery.restarts";

    /// <summary>When the last restart happened and the exit code that caused it.</summary>
    public const string LastRestart = "recovery.last_restart";
}
