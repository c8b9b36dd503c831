using Microsoft.Extensions.Options;
using PatternOne.VllmSimulator.Options;

namespace PatternOne.VllmSimulator.Faults;

/// <summary>Decides which fault, if any, a request gets.</summary>
public interface IFaultInjector
{
    /// <summary>The options in force.</summary>
    FaultOptions Options { get; }

    /// <summary>The fault for one request; <paramref name="forced"/> is the value of the fault header, if any.</summary>
    FaultKind Decide(string? forced);
}

/// <summary>Draws faults from a seeded random source, so a run's faults are reproducible.</summary>
internal sealed class FaultInjector : IFaultInjector
{
    private readonly Random _random;
    private readonly Lock _gate = new();

    public FaultInjector(IOptions<SimulatorOptions> options)
    {
        Options = options.Value.Faults;
        _random = new Random(options.Value.Seed);
    }

    public FaultOptions Options { get; }

    public FaultKind Decide(string? forced)
    {
        if (Options.AllowHeader && !string.IsNullOrEmpty(forced) && TryParseKind(forced, out var kind))
        {
            return kind;
        }

        if (Options.FailureRate <= 0 || Options.Kinds.Count == 0)
        {
            return FaultKind.None;
        }

        lock (_gate)
        {
            return _random.NextDouble() * 100 < Options.FailureRate
                ? Options.Kinds[_random.Next(Options.Kinds.Count)]
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
}
