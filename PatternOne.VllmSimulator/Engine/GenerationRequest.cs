namespace PatternOne.VllmSimulator.Engine;

/// <summary>
/// One sequence to generate, as the engine sees it: token ids in, a known number of tokens out. The simulated
/// "model" decides the output up front (the API layer picks text and length from the seed, max_tokens, stop and
/// ignore_eos); the engine decides only when each token leaves.
/// </summary>
public sealed record GenerationRequest
{
    /// <summary>Unique among the engine's live requests.</summary>
    public required string RequestId { get; init; }

    /// <summary>The prompt's token ids (at least one).</summary>
    public required IReadOnlyList<int> PromptTokenIds { get; init; }

    /// <summary>How many tokens the request generates before it finishes (at least one).</summary>
    public required int OutputTokens { get; init; }

    /// <summary>
    /// The generated token ids (same count as <see cref="OutputTokens"/>), used for block hashes of generated tokens.
    /// Null: the engine derives deterministic ids from the request id.
    /// </summary>
    public IReadOnlyList<int>? OutputTokenIds { get; init; }

    /// <summary>Reported when the last token is produced: <see cref="FinishReason.Length"/> (max_tokens reached) by default.</summary>
    public FinishReason FinishReason { get; init; } = FinishReason.Length;

    /// <summary>Virtual arrival time; null means the engine's current time. May be earlier than the engine's clock
    /// when a driver delivers a request that arrived while a step was running.</summary>
    public TimeSpan? ArrivalTime { get; init; }
}

/// <summary>Why a sequence finished; the values of vLLM's <c>finished_reason</c> label.</summary>
public enum FinishReason
{
    /// <summary>EOS or a stop string (<c>"stop"</c>).</summary>
    Stop,

    /// <summary>max_tokens or the context window reached (<c>"length"</c>).</summary>
    Length,

    /// <summary>Aborted, e.g. the client disconnected (<c>"abort"</c>).</summary>
    Abort,
}

/// <summary>Where a sequence is in the engine.</summary>
public enum SequenceStatus
{
    /// <summary>In the FCFS waiting queue (new or preempted).</summary>
    Waiting,

    /// <summary>Scheduled: prefilling or decoding.</summary>
    Running,

    /// <summary>All tokens produced.</summary>
    Finished,

    /// <summary>Aborted before it finished.</summary>
    Aborted,
}
