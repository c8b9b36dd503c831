using Microsoft.Extensions.Options;
using PatternOne.VllmSimulator.Options;

namespace PatternOne.VllmSimulator.Faults;

/// <summary>Decides which fault, if any, a request gets.</summary>
public interface IFaultInjector
{
    /// <summary>The options in force: the command line's, or the last ones set at run time.</summary>
    FaultOptions Options { get; }

    /// <summary>The fault for one request; <paramref name="forced"/> is the value of the fault header, if any.</summary>
    FaultKind Decide(string? forced);

    /// <summary>Replaces the failure rate and kinds while running (the operator's "Inject fault"); the rest is kept.</summary>
    void Configure(double failureRate, IReadOnlyList<FaultKind> kinds);
}

/// <summary>Draws faults from a seeded random source, so a run's faults are reproducible.</summary>
internal sealed class FaultInjector : IFaultInjector
{
    private readonly Random _random;
    private readonly Lock _gate = new();
    private volatile FaultOptions _options;

    public FaultInjector(IOptions<SimulatorOptions> options)
    {
        _options = options.Value.Faults;
        _random = new Random(options.Value.Seed);
    }

    public FaultOptions Options => _options;

    public void Configure(double failureRate, IReadOnlyList<FaultKind> kinds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failureRate, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(failureRate, 100);
        _options = _options with { FailureRate = failureRate, Kinds = [.. kinds] };
    }

    public FaultKind Decide(string? forced)
    {
        var options = _options;
        if (options.AllowHeader && !string.IsNullOrEmpty(forced) && TryParseKind(forced, out var kind))
        {
            return kind;
        }

        if (options.FailureRate <= 0 || options.Kinds.Count == 0)
        {
            return FaultKind.None;
        }

        lock (_gate)
        {
            return _random.NextDouble() * 100 < options.FailureRate
                ? options.Kinds[_random.Next(options.Kinds.Count)]
                : FaultKind.None;
        }
    }

    /// <summary>Parses <c>error</c>, <c>disconnect</c> or <c>slow-start</c>.</summary>
    public static bool TryParseKind(string value, out FaultKind kind)
    {
        kind = value.Trim().ToLowerInvariant() switch
        {
            "error" => FaultKind.Error,
            "disconnect" => FaultKind.Disconnect,
            "slow-start" or "slow_start" or "slowstart" => FaultKind.SlowStart,
            _ => FaultKind.None,
        };
        return kind != FaultKind.None;
    }

    /// <summary>The command-line spelling of a kind (<c>slow-start</c>), as <see cref="TryParseKind"/> reads it.</summary>
    public static string Format(FaultKind kind) => kind switch
    {
        FaultKind.Error => "error",
        FaultKind.Disconnect => "disconnect",
        FaultKind.SlowStart => "slow-start",
        _ => "none",
    };
}
