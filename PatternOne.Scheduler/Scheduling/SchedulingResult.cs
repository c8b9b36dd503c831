namespace PatternOne.Scheduler.Scheduling;

/// <summary>How a pick ended; maps one to one onto the ext_proc answer.</summary>
public enum SchedulingOutcome
{
    /// <summary>At least one endpoint chosen.</summary>
    Scheduled,

    /// <summary>The pool (or the subset hint) holds no endpoint: HTTP 503, <c>rejected-no-endpoints</c>.</summary>
    NoEndpoints,

    /// <summary>A sheddable request (priority &lt; 0) met a saturated pool, or filters that removed every endpoint: HTTP 429, <c>rejected-saturated</c>.</summary>
    Saturated,
}

/// <summary>The result of one pick.</summary>
public sealed record SchedulingResult
{
    public required SchedulingOutcome Outcome { get; init; }

    /// <summary>Chosen endpoints, best first; the ones after the first are fallbacks. Empty unless <see cref="SchedulingOutcome.Scheduled"/>.</summary>
    public IReadOnlyList<EndpointSnapshot> Endpoints { get; init; } = [];

    /// <summary>The weighted total score of each entry of <see cref="Endpoints"/>, same order.</summary>
    public IReadOnlyList<double> Scores { get; init; } = [];

    /// <summary>Prefix blocks of the request that the primary endpoint was believed to hold (0 without a prefix scorer).</summary>
    public int PrefixMatchedBlocks { get; init; }

    /// <summary>Prefix blocks the request's prompt was cut into (0 without a prefix scorer or for short prompts).</summary>
    public int PrefixTotalBlocks { get; init; }

    /// <summary>
    /// When the request asked to <see cref="SchedulingRequest.Explain"/> it: every candidate that reached the scorers,
    /// with its raw score per scorer and its weighted total, in candidate order. Empty otherwise.
    /// </summary>
    public IReadOnlyList<CandidateScores> Candidates { get; init; } = [];

    /// <summary>A human-readable reason when not scheduled.</summary>
    public string? Reason { get; init; }

    /// <summary>The primary endpoint; throws unless scheduled.</summary>
    public EndpointSnapshot Primary => Endpoints.Count > 0
        ? Endpoints[0]
        : throw new InvalidOperationException($"No endpoint was picked ({Outcome}).");

    /// <summary>The <c>x-gateway-destination-endpoint</c> value: <c>ip:port[,ip:port…]</c>.</summary>
    public string DestinationValue => string.Join(',', Endpoints.Select(e => e.Address));
}

/// <summary>One candidate of a pick: its raw score from each scorer (in [0,1], before weighting) and its weighted total.</summary>
public sealed record CandidateScores(string Address, IReadOnlyList<ScorerScore> Scores, double Total)
{
    /// <summary><c>10.0.0.7:8000 = 5.40 [queue-scorer 1.00×2, kv-cache-utilization-scorer 0.95×2, prefix-cache-scorer 0.20×3]</c>.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Address} = {Total:0.###} [{string.Join(", ", Scores.Select(s => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{s.Scorer} {s.Score:0.###}×{s.Weight:0.###}")))}]");
}

/// <summary>One scorer's verdict on one candidate.</summary>
public sealed record ScorerScore(string Scorer, double Weight, double Score);
