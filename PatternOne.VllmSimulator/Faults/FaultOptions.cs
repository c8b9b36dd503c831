namespace PatternOne.VllmSimulator.Faults;

/// <summary>The faults the simulator can inject.</summary>
public enum FaultKind
{
    /// <summary>No fault.</summary>
    None,

    /// <summary>Answer with an error status (<see cref="FaultOptions.ErrorStatus"/>) and vLLM's error body.</summary>
    Error,

    /// <summary>Drop the connection half way through the answer (mid-stream when streaming).</summary>
    Disconnect,

    /// <summary>Hold the request for <see cref="FaultOptions.SlowStartSeconds"/> before it reaches the engine.</summary>
    SlowStart,
}

/// <summary>Fault injection for tests of the gateway and scheduler; off by default.</summary>
public sealed record FaultOptions
{
    /// <summary>Header that forces a fault on one request (<c>error</c>, <c>disconnect</c>, <c>slow-start</c>);
    /// honoured only when <see cref="AllowHeader"/> is set.</summary>
    public const string HeaderName = "x-sim-fault";

    /// <summary>Percent of inference requests that get a fault (<c>--sim-failure-rate</c>, 0–100). Default 0.</summary>
    public double FailureRate { get; init; }

    /// <summary>Kinds drawn from, uniformly (<c>--sim-failure-kinds error,disconnect,slow-start</c>). Default all three.</summary>
    public IReadOnlyList<FaultKind> Kinds { get; init; } = [FaultKind.Error, FaultKind.Disconnect, FaultKind.SlowStart];

    /// <summary>Status of an injected error (<c>--sim-failure-status</c>). Default 503.</summary>
    public int ErrorStatus { get; init; } = 503;

    /// <summary>Extra real seconds a slow-start request waits (<c>--sim-slow-start-seconds</c>). Default 2.</summary>
    public double SlowStartSeconds { get; init; } = 2.0;

    /// <summary>Honour the <see cref="HeaderName"/> header (<c>--sim-fault-header</c>). Default off.</summary>
    public bool AllowHeader { get; init; }
}
