using PatternOne.Gateway;
using PatternOne.ServiceDefaults.Configuration;

namespace PatternOne.AppHost;

/// <summary>
/// The AppHost's own settings as its callers write them — a developer's <c>Pool__Replicas=3 dotnet run</c>, the tests'
/// stack, the benchmarks' AppHost stack — as command-line arguments (<see cref="ToArgs"/>) or environment variables
/// (<see cref="ServiceSettings.ToEnvironment"/>); the AppHost's builder extensions read the same <see cref="Keys"/>.
/// </summary>
public sealed record AppHostSettings : ServiceSettings
{
    /// <summary>vLLM replicas: simulator processes locally, pods when published. Default 1.</summary>
    public int? Replicas { get; init; }

    /// <summary>The simulator's speed-up over real TPU timing in run mode. Default 1 (real time).</summary>
    public double? TimeScale { get; init; }

    /// <summary>What the gateway does when the scheduler is down or slow. Default FailOpen.</summary>
    public FailureMode? GatewayFailureMode { get; init; }

    /// <summary>Where the local CA and the gateway certificate live; a relative path is taken from the AppHost's folder.</summary>
    public string? TlsDirectory { get; init; }

    /// <summary>The settings as .NET command-line configuration arguments (<c>Pool:Replicas=3</c>).</summary>
    public string[] ToArgs() => [.. ToConfiguration().Select(setting => $"{setting.Key}={setting.Value}")];

    protected override IEnumerable<KeyValuePair<string, string?>> Entries()
    {
        yield return Entry(Keys.Replicas, Format(Replicas));
        yield return Entry(Keys.TimeScale, Format(TimeScale));
        yield return Entry(Keys.GatewayFailureMode, GatewayFailureMode?.ToString());
        yield return Entry(Keys.TlsDirectory, TlsDirectory);
    }

    /// <summary>The configuration keys the AppHost reads.</summary>
    public static class Keys
    {
        public const string Replicas = "Pool:Replicas";
        public const string TimeScale = "Pool:TimeScale";
        public const string GatewayFailureMode = "Gateway:FailureMode";
        public const string TlsDirectory = "Tls:Directory";
    }
}
