namespace PatternOne.Scheduler.Scheduling;

/// <summary>One inference request as the scheduling pipeline sees it: already parsed, no transport attached.</summary>
public sealed record SchedulingRequest
{
    /// <summary>Correlates logs and metrics (<c>x-request-id</c>).</summary>
    public string RequestId { get; init; } = "";

    /// <summary>The <c>model</c> field of the body; seeds the prefix hash chain so two models never share blocks.</summary>
    public string Model { get; init; } = "";

    /// <summary>
    /// The prompt text the prefix index hashes: <c>prompt</c> for completions, or the chat messages rendered in
    /// order (see <see cref="PromptRenderer"/>). Empty for requests without one.
    /// </summary>
    public string Prompt { get; init; } = "";

    /// <summary>
    /// The gateway's subset hint (<c>envoy.lb.subset_hint</c>): when not <see langword="null"/>, only these
    /// <c>ip:port</c> values may be picked, and none eligible means "no endpoints".
    /// </summary>
    public IReadOnlyCollection<string>? CandidateSubset { get; init; }

    /// <summary>
    /// The priority of the request's inference objective (header <c>x-llm-d-inference-objective</c>); 0 without one.
    /// Negative means <see cref="IsSheddable"/>: only such requests are refused while the pool is saturated.
    /// </summary>
    public int Priority { get; init; }

    /// <summary>Priority below zero: upstream's "sheddable" traffic, the only kind admission may refuse with 429.</summary>
    /// <summary>
    /// Record every candidate's score per scorer in <see cref="SchedulingResult.Candidates"/> (the trace and debug log
    /// explain the pick with them). Off by default: it allocates per pick.
    /// </summary>
    public bool Explain { get; init; }

    public bool IsSheddable => Priority < 0;

    /// <summary>Request headers, lower-cased names. Plugins may read them (e.g. objectives); empty by default.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyHeaders;

    private static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>();
}
