using PatternOne.VllmSimulator.Metrics;

namespace PatternOne.VllmSimulator.Engine;

/// <summary>
/// One simulated vLLM engine (one replica's EngineCore) on its own virtual clock. Nothing in it sleeps: a driver
/// calls <see cref="Step"/> (or <see cref="AdvanceTo"/>) and the engine moves its clock by the modelled step time.
/// <code>
/// submit ──▶ waiting (FCFS) ──schedule──▶ running ──step (base + a_p·prefill + a_d·decode)──▶ tokens at step end
///                 ▲                          │
///                 └──── preempted (KV full) ─┘
/// </code>
/// The HTTP host drives it in scaled real time; tests and benchmarks drive many engines in virtual time:
/// <code>
/// var engine = EngineFactory.Create(new EngineOptions { MaxNumSeqs = 8 });
/// var seq = engine.Submit(new GenerationRequest { RequestId = "a", PromptTokenIds = prompt, OutputTokens = 50 });
/// engine.RunUntilIdle();
/// var ttft = seq.TimeToFirstToken;   // virtual
/// </code>
/// Not thread-safe: one thread (or one lock) drives an engine.
/// </summary>
public interface IEngineCore
{
    /// <summary>The engine's configuration.</summary>
    EngineOptions Options { get; }

    /// <summary>The virtual clock: the end of the last step, or later if the engine was advanced while idle.</summary>
    TimeSpan Now { get; }

    /// <summary>True while any request is waiting or running.</summary>
    bool HasWork { get; }

    /// <summary>The engine's vLLM metrics (counters and histograms; gauges come from <see cref="Snapshot"/>).</summary>
    EngineMetrics Metrics { get; }

    /// <summary>
    /// Queues a request (FCFS). Arrival is <see cref="GenerationRequest.ArrivalTime"/> or <see cref="Now"/>; it is
    /// considered at the next step boundary. Throws <see cref="ArgumentException"/> if the request can never fit
    /// (prompt + output beyond max-model-len or the KV pool) or its id is already live.
    /// </summary>
    EngineSequence Submit(GenerationRequest request);

    /// <summary>Aborts a live request (frees its KV blocks). False if it is unknown or already done.</summary>
    bool Abort(string requestId);

    /// <summary>
    /// Runs one step at <see cref="Now"/>: schedules running then waiting requests within the token budget,
    /// preempting if KV runs out, advances the clock by the step time and returns the tokens produced.
    /// Null when there is no work (the clock does not move).
    /// </summary>
    StepResult? Step();

    /// <summary>
    /// Runs steps until <see cref="Now"/> ≥ <paramref name="time"/>; an idle engine jumps its clock to
    /// <paramref name="time"/>. The last step may end after <paramref name="time"/> (a step is atomic), so
    /// afterwards <see cref="Now"/> ≥ <paramref name="time"/>. Returns the tokens produced.
    /// </summary>
    IReadOnlyList<TokenEvent> AdvanceTo(TimeSpan time);

    /// <summary>Runs steps until no work is left (or <paramref name="maxSteps"/> steps ran). Returns the steps run.</summary>
    int RunUntilIdle(int maxSteps = int.MaxValue);

    /// <summary>The current gauges and counters.</summary>
    EngineSnapshot Snapshot();
}
