using System.Diagnostics;
using PatternOne.Scheduler.Saturation;

namespace PatternOne.Scheduler.Scheduling;

/// <summary>
/// One scheduling profile, run per request:
/// <code>
///  1. candidates = endpoints ∩ subset hint            (none → NoEndpoints / 503)
///  2. admission: sheddable (priority &lt; 0) and every
///     candidate saturated?                            (yes → Saturated / 429)
///  3. filters, in order; one that leaves none         (sheddable → Saturated / 429;
///                                                      otherwise it is undone: fail open)
///  4. total(e) = Σ weightₛ · clamp01(scoreₛ(e))        (not normalised by Σ weights, as upstream)
///  5. picker → primary + fallbacks
///  6. learners (prefix index) learn the primary
/// </code>
/// Only sheddable requests are ever refused as saturated, as upstream's legacy admission (flow control off): every
/// other request is admitted and queues inside vLLM, which is what a plain load balancer would do with it too.
/// </summary>
internal sealed class ProfileScheduler : IScheduler
{
    private readonly IFilter[] _filters;
    private readonly (IScorer Scorer, double Weight)[] _scorers;
    private readonly IPicker _picker;
    private readonly IPickLearner[] _learners;
    private readonly SaturationThresholds? _admission;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ISchedulingObserver? _observer;

    public ProfileScheduler(
        string profileName,
        IEnumerable<IFilter> filters,
        IEnumerable<(IScorer Scorer, double Weight)> scorers,
        IPicker picker,
        SaturationThresholds? admission,
        SchedulerEnvironment options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ProfileName = profileName;
        _filters = [.. filters];
        _scorers = [.. scorers];
        _picker = picker;
        _learners = [.. _filters.OfType<IPickLearner>(), .. _scorers.Select(s => s.Scorer).OfType<IPickLearner>(), .. new[] { picker }.OfType<IPickLearner>()];
        _admission = admission;
        _time = options.TimeProvider;
        _random = options.Random;
        _observer = options.Observer;
    }

    public string ProfileName { get; }

    public IReadOnlyList<IFilter> Filters => _filters;

    public IReadOnlyList<(IScorer Scorer, double Weight)> Scorers => _scorers;

    public IPicker Picker => _picker;

    /// <summary>Admission thresholds for sheddable requests; <see langword="null"/> when the profile never rejects as saturated.</summary>
    public SaturationThresholds? Admission => _admission;

    public SchedulingResult Pick(SchedulingRequest request, IReadOnlyList<EndpointSnapshot> endpoints)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(endpoints);
        var started = _observer is null ? 0 : Stopwatch.GetTimestamp();
        var result = PickCore(request, endpoints);
        _observer?.OnPickCompleted(result, Stopwatch.GetElapsedTime(started));
        return result;
    }

    public void RecordServed(SchedulingRequest request, string address)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(address);
        if (_learners.Length == 0)
        {
            return;
        }

        var context = new SchedulingContext(request, _time.GetUtcNow(), _random);
        foreach (var learner in _learners)
        {
            learner.Learn(context, address);
        }
    }

    public void ForgetEndpoint(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        foreach (var learner in _learners)
        {
            learner.Forget(address);
        }
    }

    private SchedulingResult PickCore(SchedulingRequest request, IReadOnlyList<EndpointSnapshot> endpoints)
    {
        var context = new SchedulingContext(request, _time.GetUtcNow(), _random);
        var candidates = new List<EndpointSnapshot>(endpoints.Count);
        var refusal = CollectCandidates(request, endpoints, candidates)
            ?? Admit(context, candidates)
            ?? Filter(context, candidates);
        if (refusal is not null)
        {
            return refusal;
        }

        var (totals, explained) = Score(context, candidates);
        var picked = new List<int>(_picker.MaxEndpoints);
        var pickStarted = _observer is null ? 0 : Stopwatch.GetTimestamp();
        _picker.Pick(context, candidates, totals, picked);
        _observer?.OnPluginCompleted("Picker", _picker.Type, _picker.Name, Stopwatch.GetElapsedTime(pickStarted));
        if (picked.Count == 0)
        {
            return Rejected(SchedulingOutcome.Saturated, $"Picker '{_picker.Name}' chose no endpoint.");
        }

        return Scheduled(context, candidates, picked, totals, explained);
    }

    /// <summary>The pool's endpoints, narrowed to the proxy's subset hint when it sent one; a refusal when none is left.</summary>
    private static SchedulingResult? CollectCandidates(SchedulingRequest request, IReadOnlyList<EndpointSnapshot> endpoints, List<EndpointSnapshot> candidates)
    {
        if (request.CandidateSubset is not { } subset)
        {
            candidates.AddRange(endpoints);
            return candidates.Count == 0 ? Rejected(SchedulingOutcome.NoEndpoints, "The inference pool has no ready endpoints.") : null;
        }

        foreach (var endpoint in endpoints)
        {
            if (subset.Contains(endpoint.Address))
            {
                candidates.Add(endpoint);
            }
        }

        return candidates.Count == 0 ? Rejected(SchedulingOutcome.NoEndpoints, "None of the endpoints in the subset hint is in the pool.") : null;
    }

    /// <summary>Admission: a sheddable request is refused when every candidate is saturated.</summary>
    private SchedulingResult? Admit(SchedulingContext context, List<EndpointSnapshot> candidates) =>
        context.Request.IsSheddable && _admission is not null && _admission.IsPoolSaturated(candidates, context.Now)
            ? Rejected(SchedulingOutcome.Saturated, "Every endpoint of the inference pool is saturated; sheddable requests are refused.")
            : null;

    /// <summary>
    /// Runs the filters in order. One that removes every candidate refuses a sheddable request; for any other request
    /// it is undone.
    /// </summary>
    private SchedulingResult? Filter(SchedulingContext context, List<EndpointSnapshot> candidates)
    {
        var sheddable = context.Request.IsSheddable;
        EndpointSnapshot[]? beforeFilter = null;
        foreach (var filter in _filters)
        {
            if (!sheddable)
            {
                beforeFilter = [.. candidates];
            }

            var started = _observer is null ? 0 : Stopwatch.GetTimestamp();
            filter.Filter(context, candidates);
            _observer?.OnPluginCompleted("Filter", filter.Type, filter.Name, Stopwatch.GetElapsedTime(started));
            if (candidates.Count == 0)
            {
                if (beforeFilter is null)
                {
                    return Rejected(SchedulingOutcome.Saturated, $"Filter '{filter.Name}' removed every endpoint; sheddable requests are refused.");
                }

                // A filter may narrow the choice but never refuse traffic that upstream would admit.
                candidates.AddRange(beforeFilter);
            }
        }

        return null;
    }

    /// <summary>
    /// The weighted sum of the scorers' scores per candidate (each clamped to [0,1], NaN as 0), and each scorer's own
    /// scores when the request asked for an explanation.
    /// </summary>
    private (double[] Totals, double[][]? Explained) Score(SchedulingContext context, List<EndpointSnapshot> candidates)
    {
        var count = candidates.Count;
        var totals = new double[count];
        var scratch = new double[count];
        var explained = context.Request.Explain ? new double[_scorers.Length][] : null;
        for (var s = 0; s < _scorers.Length; s++)
        {
            var (scorer, weight) = _scorers[s];
            var started = _observer is null ? 0 : Stopwatch.GetTimestamp();
            Array.Clear(scratch);
            scorer.Score(context, candidates, scratch);
            for (var i = 0; i < count; i++)
            {
                var score = scratch[i];
                scratch[i] = double.IsNaN(score) ? 0 : Math.Clamp(score, 0, 1);
                totals[i] += weight * scratch[i];
            }

            if (explained is not null)
            {
                explained[s] = [.. scratch];
            }

            _observer?.OnPluginCompleted("Scorer", scorer.Type, scorer.Name, Stopwatch.GetElapsedTime(started));
        }

        return (totals, explained);
    }

    /// <summary>The picked endpoints, best first, with their totals; the learners learn the primary.</summary>
    private SchedulingResult Scheduled(SchedulingContext context, List<EndpointSnapshot> candidates, List<int> picked, double[] totals, double[][]? explained)
    {
        var chosen = new EndpointSnapshot[picked.Count];
        var scores = new double[picked.Count];
        for (var i = 0; i < picked.Count; i++)
        {
            chosen[i] = candidates[picked[i]];
            scores[i] = totals[picked[i]];
        }

        foreach (var learner in _learners)
        {
            learner.Learn(context, chosen[0].Address);
        }

        var prefix = context.Read<PrefixCoverage>(PrefixCoverage.StateKey);
        return new SchedulingResult
        {
            Outcome = SchedulingOutcome.Scheduled,
            Endpoints = chosen,
            Scores = scores,
            PrefixMatchedBlocks = prefix is null ? 0 : prefix.MatchedByCandidate[picked[0]],
            PrefixTotalBlocks = prefix?.TotalBlocks ?? 0,
            Candidates = explained is null ? [] : Explain(candidates, explained, totals),
        };
    }

    private CandidateScores[] Explain(List<EndpointSnapshot> candidates, double[][] explained, double[] totals)
    {
        var result = new CandidateScores[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            var scores = new ScorerScore[_scorers.Length];
            for (var s = 0; s < _scorers.Length; s++)
            {
                scores[s] = new ScorerScore(_scorers[s].Scorer.Name, _scorers[s].Weight, explained[s][i]);
            }

            result[i] = new CandidateScores(candidates[i].Address, scores, totals[i]);
        }

        return result;
    }

    private static SchedulingResult Rejected(SchedulingOutcome outcome, string reason) =>
        new() { Outcome = outcome, Reason = reason };
}
