using Microsoft.Extensions.Options;

namespace PatternOne.ServiceDefaults.Shutdown;

/// <summary>
/// How long a service keeps working after SIGTERM (<c>&lt;Section&gt;:DrainTimeout</c> of the service's own section:
/// <c>Gateway:DrainTimeout</c>, <c>Scheduler:DrainTimeout</c> = <c>--drain-timeout</c>; the simulator's
/// <c>--shutdown-timeout</c>). What "keeps working" means is the service's <see cref="DrainStyle"/>.
/// </summary>
public sealed class DrainOptions
{
    /// <summary>The longest drain accepted: beyond an hour a stop is a hang.</summary>
    public static readonly TimeSpan MaxDrainTimeout = TimeSpan.FromHours(1);

    /// <summary>The drain; zero ends in-flight work at once. The default is the service's (see its README).</summary>
    public TimeSpan DrainTimeout { get; set; }
}

/// <summary>What a service does with its drain timeout.</summary>
public enum DrainStyle
{
    /// <summary>
    /// Stop taking new work at once (readiness fails, the listeners close), let in-flight requests finish, and end
    /// what is still running when the drain timeout passes (vLLM's <c>--shutdown-timeout</c>). An idle service exits
    /// at once.
    /// </summary>
    FinishInFlight,

    /// <summary>
    /// Report not-ready but keep serving for the whole drain timeout, then close the listeners (upstream EPP's
    /// <c>--drain-timeout</c>): callers only learn of the stop through readiness, so new work keeps arriving for a while.
    /// </summary>
    ServeWhileUnready,
}

internal sealed class DrainOptionsValidator : IValidateOptions<DrainOptions>
{
    public ValidateOptionsResult Validate(string? name, DrainOptions options) =>
        options.DrainTimeout < TimeSpan.Zero || options.DrainTimeout > DrainOptions.MaxDrainTimeout
            ? ValidateOptionsResult.Fail($"DrainTimeout must be between 0 and {DrainOptions.MaxDrainTimeout:c}; it is {options.DrainTimeout:c}.")
            : ValidateOptionsResult.Success;
}
