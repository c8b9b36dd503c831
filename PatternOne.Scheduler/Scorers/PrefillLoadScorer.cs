using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Scorers;

/// <summary>
/// <c>prefill-load-scorer</c>: how much prompt this scheduler has recently sent each endpoint that the endpoint still has
/// to prefill, as <c>1 − min(1, backlog / thresholdTokens)</c> (the shape of upstream's <c>token-load-scorer</c>).
/// <para>
/// Below saturation vLLM admits every request into its running batch at once, so <c>num_requests_waiting</c> is 0
/// everywhere and a replica busy prefilling a long prompt looks exactly as idle as one that is not; the running count
/// is mostly decoding requests, whose number says little about when a new prompt's first token comes. What delays a
/// new request's first token is the prompt tokens ahead of it in the replica's prefill. The scheduler knows them: each
/// pick adds the request's tokens not expected in the endpoint's prefix cache (the <see cref="PrefixCoverage"/> the
/// prefix scorer leaves in the context, ~4 characters per token) to the endpoint's backlog, and the backlog drains at
/// <c>prefillTokensPerSecond</c> — an estimate of the replica's prefill rate, since the first token is not observable
/// here (the gateway streams the response past the scheduler). It cannot go stale and needs no scrape.
/// </para>
/// Put it after <c>prefix-cache-scorer</c> in a profile so that it sees the prefix match of the same pick; without one
/// every prompt counts in full.
/// </summary>
internal sealed class PrefillLoadScorer : SchedulingPlugin<PrefillLoadScorer>, IScorer, IPickLearner, IPluginFactory
{
    /// <summary>The key of this scorer's per-pick state (each candidate's not-cached tokens) in the scheduling context.</summary>
    public const string StateKey = "prefill-load-scorer/estimates";

    /// <summary>Default drain rate: about one 2,048-token prompt per 40 ms, the order of a 3B model's prefill on one accelerator.</summary>
    public const double DefaultPrefillTokensPerSecond = 50_000;

    /// <summary>Default backlog at which the score reaches 0: two prompts at the seed's <c>--max-model-len</c> 2,048.</summary>
    public const int DefaultThresholdTokens = 4_096;

    private const int CharactersPerToken = PrefixCacheScorer.CharactersPerToken;

    private readonly Dictionary<string, Backlog> _backlogs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public PrefillLoadScorer(string name, double prefillTokensPerSecond, int thresholdTokens)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prefillTokensPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(thresholdTokens);
        PrefillTokensPerSecond = prefillTokensPerSecond;
        ThresholdTokens = thresholdTokens;
    }

    public static string PluginType => "prefill-load-scorer";

    public static ISchedulingPlugin Create(string name, PluginParameters parameters) => new PrefillLoadScorer(
        name,
        parameters.GetDouble("prefillTokensPerSecond", DefaultPrefillTokensPerSecond, min: double.Epsilon),
        parameters.GetInt("thresholdTokens", DefaultThresholdTokens, min: 1));

    public double PrefillTokensPerSecond { get; }

    public int ThresholdTokens { get; }

    public void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores)
    {
        var promptTokens = (double)context.Request.Prompt.Length / CharactersPerToken;
        var prefix = context.Read<PrefixCoverage>(PrefixCoverage.StateKey);
        var estimates = new Dictionary<string, double>(candidates.Count, StringComparer.Ordinal);
        lock (_gate)
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                var address = candidates[i].Address;
                estimates[address] = prefix is { TotalBlocks: > 0 } match && match.MatchedByCandidate.Length == candidates.Count
                    ? promptTokens * (1 - (double)match.MatchedByCandidate[i] / match.TotalBlocks)
                    : promptTokens;
                scores[i] = 1 - Math.Min(1, (BacklogLocked(address, context.Now) + estimates[address]) / ThresholdTokens);
            }
        }

        // What each candidate would have to prefill, read back when the pick is learnt.
        context.Write(StateKey, estimates);
    }

    public void Learn(SchedulingContext context, string address)
    {
        var tokens = context.Read<Dictionary<string, double>>(StateKey) is { } estimates && estimates.TryGetValue(address, out var estimate)
            ? estimate
            : (double)context.Request.Prompt.Length / CharactersPerToken;
        lock (_gate)
        {
            _backlogs[address] = new Backlog(BacklogLocked(address, context.Now) + tokens, context.Now);
        }
    }

    public void Forget(string address)
    {
        lock (_gate)
        {
            _backlogs.Remove(address);
        }
    }

    /// <summary>The prompt tokens still believed to be waiting for prefill on <paramref name="address"/> at <paramref name="now"/>.</summary>
    public double BacklogOf(string address, DateTimeOffset now)
    {
        lock (_gate)
        {
            return BacklogLocked(address, now);
        }
    }

    private double BacklogLocked(string address, DateTimeOffset now)
    {
        if (!_backlogs.TryGetValue(address, out var backlog))
        {
            return 0;
        }

        var elapsed = Math.Max(0, (now - backlog.At).TotalSeconds);
        return Math.Max(0, backlog.Tokens - elapsed * PrefillTokensPerSecond);
    }

    private readonly record struct Backlog(double Tokens, DateTimeOffset At);
}
