using PatternOne.Benchmarks.Reporting;
using PatternOne.Scheduler.Scheduling;
using PatternOne.VllmSimulator.Engine;

namespace PatternOne.Benchmarks.Scheduling;

/// <summary>What one (workload, replicas, policy, QPS) point measured.</summary>
public sealed record PointResult
{
    public required double TtftP50Ms { get; init; }
    public required double TtftP90Ms { get; init; }
    public required double TtftP99Ms { get; init; }
    public required double ItlP50Ms { get; init; }
    public required double ItlP90Ms { get; init; }
    public required double OutputTokensPerS { get; init; }
    public required double PrefixHitRate { get; init; }

    /// <summary>
    /// The most any scheduler could reach with these arrivals and unlimited cache: a request can only hit the blocks of
    /// its system prompt if an earlier request (warm-up included) had the same one, or its whole prompt if it repeats.
    /// </summary>
    public required double PrefixHitRateCeiling { get; init; }
    public required int MaxQueue { get; init; }
    public required int Requests { get; init; }
    public required int Measured { get; init; }
    public required int Rejections { get; init; }
    public required long Preemptions { get; init; }
    public required double VirtualSeconds { get; init; }

    /// <summary>Share of picks that saw at least one endpoint whose metrics were older than the staleness threshold.</summary>
    public required double StalePickShare { get; init; }
}

/// <summary>Sizes and knobs of one virtual-time point.</summary>
public sealed record PointSpec
{
    public required SharedPrefixWorkload Workload { get; init; }
    public required IReadOnlyList<SharedPrefixWorkload.Prompt> Prompts { get; init; }
    public required int Replicas { get; init; }
    public required string Policy { get; init; }
    public required double Qps { get; init; }

    /// <summary>
    /// Arrivals by time: Poisson arrivals over this window; those before <see cref="Warmup"/> are not measured. Used
    /// when <see cref="MeasuredRequests"/> is not set.
    /// </summary>
    public TimeSpan ArrivalWindow { get; init; }

    /// <summary>Requests arriving before this are simulated (they warm the caches) but not measured.</summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>
    /// Arrivals by count: <see cref="WarmupRequests"/> unmeasured arrivals, then this many measured ones, whatever the
    /// QPS — so every load point warms a large cache equally and measures as many requests.
    /// </summary>
    public int? MeasuredRequests { get; init; }

    /// <summary>Unmeasured arrivals before the measured ones (with <see cref="MeasuredRequests"/>).</summary>
    public int WarmupRequests { get; init; }

    public required EngineOptions Engine { get; init; }
    public required int Seed { get; init; }

    /// <summary>Scrape period of the scheduler's metrics view. Default 50 ms, as the scheduler scrapes.</summary>
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Share of scrapes (per replica, independently) that come late by <see cref="LateScrapeDelay"/>, as on a busy
    /// machine or network. Default 5%.
    /// </summary>
    public double LateScrapeShare { get; init; } = 0.05;

    /// <summary>How late a late scrape is. Default 300 ms: past the scheduler's 200 ms staleness threshold.</summary>
    public TimeSpan LateScrapeDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Metrics older than this count as stale in <see cref="PointResult.StalePickShare"/> (the scheduler's default).</summary>
    public TimeSpan StalenessThreshold { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Client back-off after a 429 (the request keeps its original arrival time for TTFT).</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Safety bound of the drain after the last arrival.</summary>
    public TimeSpan MaxDrain { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// One point of the scheduling benchmark in virtual time. A discrete-event loop over three event kinds:
/// <code>
///   arrival (Poisson) ─▶ picker.Pick(snapshots) ─▶ engine[chosen].Submit      (429 → retry after RetryAfter)
///   scrape each replica every 50 ms (5% of scrapes 300 ms late) ─▶ its snapshot  (what the scheduler would see)
///   picks see the snapshots plus the scheduler's own in-flight counts and requests routed since each scrape
///   (those of the last scrape interval, as the scheduler's EndpointState counts them)
///   before each event: every engine AdvanceTo(t); finished requests leave the in-flight counts
/// </code>
/// The picker is the real scheduler pipeline (SchedulerFactory profiles), the engines the simulator's real
/// EngineCore; nothing here re-implements either.
/// </summary>
public static class VirtualTimeRun
{
    private sealed class Tracked(int id, int promptIndex, TimeSpan arrival)
    {
        public int Id { get; } = id;
        public int PromptIndex { get; } = promptIndex;
        public TimeSpan Arrival { get; } = arrival;
        public EngineSequence? Sequence { get; set; }
        public int Endpoint { get; set; } = -1;
        public bool Done { get; set; }
        public int Attempts { get; set; }
    }

    public static PointResult Run(PointSpec spec, CancellationToken cancellationToken)
    {
        var arrivals = DrawArrivals(spec);
        var simulation = new Simulation(spec, arrivals);
        simulation.Run(cancellationToken);
        return Measure(spec, arrivals, simulation);
    }

    /// <summary>Poisson arrivals at the point's QPS, each a uniformly drawn prompt; identical for every policy (same seed).</summary>
    private static List<Tracked> DrawArrivals(PointSpec spec)
    {
        var rng = new Random(StableSeed.Of(spec.Seed, spec.Qps, spec.Replicas, spec.Workload.Name));
        var arrivals = new List<Tracked>();
        var t0 = NextGap(rng, spec.Qps);
        if (spec.MeasuredRequests is { } count)
        {
            for (var t = t0; arrivals.Count < spec.WarmupRequests + count; t += NextGap(rng, spec.Qps))
            {
                arrivals.Add(new Tracked(arrivals.Count, rng.Next(spec.Prompts.Count), TimeSpan.FromSeconds(t)));
            }
        }
        else
        {
            for (var t = t0; t < spec.ArrivalWindow.TotalSeconds; t += NextGap(rng, spec.Qps))
            {
                arrivals.Add(new Tracked(arrivals.Count, rng.Next(spec.Prompts.Count), TimeSpan.FromSeconds(t)));
            }
        }

        return arrivals;
    }

    /// <summary>The replicas, the picker and the scheduler's view of them, moved from event to event.</summary>
    private sealed class Simulation
    {
        private readonly PointSpec _spec;
        private readonly List<Tracked> _arrivals;
        private readonly VirtualTimeProvider _clock = new();
        private readonly IScheduler _picker;
        private readonly IEngineCore[] _engines;
        private readonly string[] _addresses;
        private readonly int[] _inFlight;

        // Per replica, when each request routed since its last scrape was routed (oldest first).
        private readonly Queue<TimeSpan>[] _routedSinceScrape;
        private readonly EngineSnapshot[] _scraped;
        private readonly TimeSpan[] _scrapedAt;
        private readonly TimeSpan[] _nextScrape;

        // Scrape timing is drawn from its own stream so that it is the same for every policy too.
        private readonly Random _scrapeRng;
        private readonly PriorityQueue<Tracked, TimeSpan> _retries = new();
        private readonly Dictionary<EngineSequence, Tracked> _bySequence = new(ReferenceEqualityComparer.Instance);
        private int _nextArrival;

        // Requests that arrived and have not finished (retries waiting included).
        private int _live;
        private int _picks;
        private int _stalePicks;

        public Simulation(PointSpec spec, List<Tracked> arrivals)
        {
            _spec = spec;
            _arrivals = arrivals;
            _picker = ProfileCatalog.Create(spec.Policy, new SchedulerEnvironment
            {
                TimeProvider = _clock,
                Random = new Random(StableSeed.Of(spec.Seed, spec.Policy)),
            });
            _engines = Enumerable.Range(0, spec.Replicas).Select(_ => EngineFactory.Create(spec.Engine)).ToArray();
            _addresses = Enumerable.Range(0, spec.Replicas).Select(i => $"10.0.0.{i + 1}:8000").ToArray();
            _inFlight = new int[spec.Replicas];
            _routedSinceScrape = Enumerable.Range(0, spec.Replicas).Select(_ => new Queue<TimeSpan>()).ToArray();
            _scraped = _engines.Select(e => e.Snapshot()).ToArray();
            _scrapedAt = new TimeSpan[spec.Replicas];
            _nextScrape = new TimeSpan[spec.Replicas];
            _scrapeRng = new Random(StableSeed.Of(spec.Seed, "scrape", spec.Qps, spec.Replicas, spec.Workload.Name));
        }

        public IEngineCore[] Engines => _engines;

        /// <summary>Virtual time when the run stopped (all served, or the drain bound passed).</summary>
        public TimeSpan Now { get; private set; }

        public int MaxQueue { get; private set; }

        /// <summary>429 answers (each rejected attempt counts).</summary>
        public int Rejections { get; private set; }

        public double StalePickShare => _picks == 0 ? 0 : (double)_stalePicks / _picks;

        /// <summary>Takes the earliest event — a scrape, a retry, an arrival — until nothing is pending or the drain bound passes.</summary>
        public void Run(CancellationToken cancellationToken)
        {
            var end = (_arrivals.Count > 0 ? _arrivals[^1].Arrival : TimeSpan.Zero) + _spec.MaxDrain;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var tArrival = _nextArrival < _arrivals.Count ? _arrivals[_nextArrival].Arrival : TimeSpan.MaxValue;
                var tRetry = _retries.TryPeek(out _, out var rt) ? rt : TimeSpan.MaxValue;
                var scrapeOf = NextScraped();
                var pending = _nextArrival < _arrivals.Count || _retries.Count > 0 || _live > 0;
                if (!pending || Now > end)
                {
                    return;
                }

                var tScrape = _nextScrape[scrapeOf];
                var t = Min(tArrival, tRetry, tScrape);
                Now = t;
                _clock.Now = t;
                Advance(t);
                if (t == tScrape)
                {
                    Scrape(scrapeOf, t);
                }
                else if (t == tRetry)
                {
                    Dispatch(_retries.Dequeue(), t);
                }
                else
                {
                    _live++;
                    Dispatch(_arrivals[_nextArrival++], t);
                }
            }
        }

        /// <summary>The replica whose scrape comes first (the lowest index on a tie).</summary>
        private int NextScraped()
        {
            var scrapeOf = 0;
            for (var i = 1; i < _nextScrape.Length; i++)
            {
                scrapeOf = _nextScrape[i] < _nextScrape[scrapeOf] ? i : scrapeOf;
            }

            return scrapeOf;
        }

        /// <summary>Every engine runs up to <paramref name="t"/>; finished requests leave the in-flight counts.</summary>
        private void Advance(TimeSpan t)
        {
            for (var i = 0; i < _engines.Length; i++)
            {
                foreach (var token in _engines[i].AdvanceTo(t))
                {
                    if (token.IsFinal && _bySequence.Remove(token.Sequence, out var tracked))
                    {
                        tracked.Done = true;
                        _inFlight[tracked.Endpoint]--;
                        _live--;
                    }
                }
            }
        }

        /// <summary>
        /// Each replica is scraped on its own loop; some scrapes come late, so their metrics age past the staleness
        /// threshold while the others stay fresh.
        /// </summary>
        private void Scrape(int replica, TimeSpan t)
        {
            _scraped[replica] = _engines[replica].Snapshot();
            MaxQueue = Math.Max(MaxQueue, _scraped[replica].Waiting);
            _scrapedAt[replica] = t;

            // The virtual scrape is instantaneous (a late one just happens later): everything routed to this
            // replica so far is in its figures.
            _routedSinceScrape[replica].Clear();
            var late = _scrapeRng.NextDouble() < _spec.LateScrapeShare;
            _nextScrape[replica] = t + _spec.ScrapeInterval + (late ? _spec.LateScrapeDelay : TimeSpan.Zero);
        }

        /// <summary>The picker chooses from what it would see now; the chosen engine gets the request, or a 429 sends it to retry.</summary>
        private void Dispatch(Tracked request, TimeSpan now)
        {
            var prompt = _spec.Prompts[request.PromptIndex];
            var snapshots = SchedulerView(now, out var stale);
            _picks++;
            _stalePicks += stale ? 1 : 0;
            request.Attempts++;
            var result = _picker.Pick(new SchedulingRequest { RequestId = "r", Model = "Qwen/Qwen2.5-3B-Instruct", Prompt = prompt.RenderedText }, snapshots);
            if (result.Outcome != SchedulingOutcome.Scheduled)
            {
                // The gateway answers 429 (saturated); a well-behaved client retries after Retry-After.
                Rejections++;
                _retries.Enqueue(request, now + _spec.RetryAfter);
                return;
            }

            var endpoint = Array.IndexOf(_addresses, result.Primary.Address);
            request.Endpoint = endpoint;
            _inFlight[endpoint]++;
            _routedSinceScrape[endpoint].Enqueue(now);
            request.Sequence = _engines[endpoint].Submit(new GenerationRequest
            {
                RequestId = "q" + request.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                PromptTokenIds = prompt.TokenIds,
                OutputTokens = _spec.Workload.OutputTokens,
                ArrivalTime = now,
            });
            _bySequence[request.Sequence] = request;
        }

        /// <summary>
        /// What the scheduler sees at <paramref name="now"/>: each replica's last scrape plus its own in-flight counts and
        /// recent routes; <paramref name="stale"/> when some replica's scrape is older than the staleness threshold.
        /// </summary>
        private EndpointSnapshot[] SchedulerView(TimeSpan now, out bool stale)
        {
            var snapshots = new EndpointSnapshot[_engines.Length];
            stale = false;
            for (var i = 0; i < _engines.Length; i++)
            {
                stale |= now - _scrapedAt[i] > _spec.StalenessThreshold;
                snapshots[i] = new EndpointSnapshot
                {
                    Address = _addresses[i],
                    WaitingRequests = _scraped[i].Waiting,
                    RunningRequests = _scraped[i].Running,
                    KvCacheUsage = _scraped[i].KvCacheUsage,
                    InFlightRequests = _inFlight[i],
                    RoutedSinceScrape = RecentRoutes(_routedSinceScrape[i], now - _spec.ScrapeInterval),
                    MetricsUpdatedAt = _clock.At(_scrapedAt[i]),
                    KvBlockSize = _scraped[i].BlockSize,
                    KvTotalBlocks = _scraped[i].NumGpuBlocks,
                };
            }

            return snapshots;
        }
    }

    private static PointResult Measure(PointSpec spec, List<Tracked> arrivals, Simulation simulation)
    {
        // Measured: arrivals after the warm-up (by count or by time); throughput over their arrival span.
        var measured = spec.MeasuredRequests is not null
            ? arrivals.Skip(spec.WarmupRequests).ToList()
            : arrivals.Where(a => a.Arrival >= spec.Warmup).ToList();
        var from = spec.MeasuredRequests is not null ? (measured.Count > 0 ? measured[0].Arrival : TimeSpan.Zero) : spec.Warmup;
        var to = spec.MeasuredRequests is not null ? (measured.Count > 0 ? measured[^1].Arrival : TimeSpan.Zero) : spec.ArrivalWindow;
        var end = simulation.Now;
        var latency = Latencies(measured, end);
        var (ceilingTokens, ceilingPrompt) = HitRateCeiling(spec, arrivals, firstMeasured: arrivals.Count - measured.Count);
        var tokens = OutputTokensBetween(arrivals, from, to);
        return new PointResult
        {
            TtftP50Ms = Stats.PercentileSorted(latency.Ttft, 50),
            TtftP90Ms = Stats.PercentileSorted(latency.Ttft, 90),
            TtftP99Ms = Stats.PercentileSorted(latency.Ttft, 99),
            ItlP50Ms = Stats.PercentileSorted(latency.Itl, 50),
            ItlP90Ms = Stats.PercentileSorted(latency.Itl, 90),
            OutputTokensPerS = to > from ? tokens / (to - from).TotalSeconds : 0,
            PrefixHitRate = latency.PromptTokens == 0 ? 0 : (double)latency.CachedTokens / latency.PromptTokens,
            PrefixHitRateCeiling = ceilingPrompt == 0 ? 0 : (double)ceilingTokens / ceilingPrompt,
            MaxQueue = simulation.MaxQueue,
            Requests = arrivals.Count,
            Measured = measured.Count,
            Rejections = simulation.Rejections,
            Preemptions = simulation.Engines.Sum(e => e.Snapshot().Preemptions),
            VirtualSeconds = end.TotalSeconds,
            StalePickShare = simulation.StalePickShare,
        };
    }

    /// <summary>The measured requests' TTFTs and ITLs (each sorted) and their prompt and cached-prompt tokens.</summary>
    private sealed record LatencySample(double[] Ttft, double[] Itl, long PromptTokens, long CachedTokens);

    private static LatencySample Latencies(List<Tracked> measured, TimeSpan end)
    {
        var ttft = new List<double>(measured.Count);
        var itl = new List<double>(measured.Count * 8);
        long prompt = 0, cached = 0;
        foreach (var a in measured)
        {
            var seq = a.Sequence;
            if (seq?.FirstTokenTime is { } first)
            {
                ttft.Add((first - a.Arrival).TotalMilliseconds);
            }
            else
            {
                // Never got a first token before the drain bound: charge it the whole run (a lower bound).
                ttft.Add((end - a.Arrival).TotalMilliseconds);
            }

            if (seq is null)
            {
                continue;
            }

            var times = seq.TokenTimes;
            for (var i = 1; i < times.Count; i += 4)
            {
                // Every 4th gap keeps memory bounded; gaps are statistically alike within a request.
                itl.Add((times[i] - times[i - 1]).TotalMilliseconds);
            }

            prompt += seq.PromptTokens;
            cached += seq.CachedTokens ?? 0;
        }

        var ttftSorted = ttft.ToArray();
        Array.Sort(ttftSorted);
        var itlSorted = itl.ToArray();
        Array.Sort(itlSorted);
        return new LatencySample(ttftSorted, itlSorted, prompt, cached);
    }

    /// <summary>The ceiling: what an earlier arrival could have left in some replica's cache for each measured request.</summary>
    private static (long ReusableTokens, long PromptTokens) HitRateCeiling(PointSpec spec, List<Tracked> arrivals, int firstMeasured)
    {
        var seenGroups = new HashSet<int>();
        var seenPrompts = new HashSet<int>();
        long ceilingTokens = 0, ceilingPrompt = 0;
        for (var i = 0; i < arrivals.Count; i++)
        {
            var index = arrivals[i].PromptIndex;
            var p = spec.Prompts[index];
            if (i >= firstMeasured)
            {
                var blockTokens = spec.Engine.BlockSize;
                var reusable = seenPrompts.Contains(index) ? p.TokenIds.Length - 1 : seenGroups.Contains(p.Group) ? spec.Workload.SystemTokens : 0;
                ceilingTokens += reusable / blockTokens * blockTokens;
                ceilingPrompt += p.TokenIds.Length;
            }

            seenGroups.Add(p.Group);
            seenPrompts.Add(index);
        }

        return (ceilingTokens, ceilingPrompt);
    }

    /// <summary>Output tokens leaving in [from, to): the measured part of the arrivals (steady state, not the drain).</summary>
    private static long OutputTokensBetween(List<Tracked> arrivals, TimeSpan from, TimeSpan to)
    {
        long tokens = 0;
        foreach (var a in arrivals)
        {
            if (a.Sequence is null)
            {
                continue;
            }

            foreach (var time in a.Sequence.TokenTimes)
            {
                if (time >= from && time < to)
                {
                    tokens++;
                }
            }
        }

        return tokens;
    }

    /// <summary>
    /// The scheduler's RoutedSinceScrape (EndpointState): routes since the replica's last scrape, but only those of the
    /// last scrape interval — a late scrape does not make every request routed meanwhile count as waiting.
    /// </summary>
    private static int RecentRoutes(Queue<TimeSpan> routes, TimeSpan from)
    {
        while (routes.TryPeek(out var oldest) && oldest < from)
        {
            routes.Dequeue();
        }

        return routes.Count;
    }

    private static double NextGap(Random rng, double rate) => -Math.Log(1 - rng.NextDouble()) / rate;

    private static TimeSpan Min(TimeSpan a, TimeSpan b, TimeSpan c) => a < b ? (a < c ? a : c) : (b < c ? b : c);
}
