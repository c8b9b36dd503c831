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
    public required int MaxQueue { get; init; }
    public required int Requests { get; init; }
    public required int Measured { get; init; }
    public required int Rejections { get; init; }
    public required long Preemptions { get; init; }
    public required double VirtualSeconds { get; init; }
}

/// <summary>Sizes and knobs of one virtual-time point.</summary>
public sealed record PointSpec
{
    public required SharedPrefixWorkload Workload { get; init; }
    public required IReadOnlyList<SharedPrefixWorkload.Prompt> Prompts { get; init; }
    public required int Replicas { get; init; }
    public required string Policy { get; init; }
    public required double Qps { get; init; }
    public required TimeSpan ArrivalWindow { get; init; }

    /// <summary>Requests arriving before this are simulated (they warm the caches) but not measured.</summary>
    public required TimeSpan Warmup { get; init; }
    public required EngineOptions Engine { get; init; }
    public required int Seed { get; init; }

    /// <summary>Scrape period of the scheduler's metrics view. Default 50 ms, as the scheduler scrapes.</summary>
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Client back-off after a 429 (the request keeps its original arrival time for TTFT).</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Safety bound of the drain after the last arrival.</summary>
    public TimeSpan MaxDrain { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// One point of the scheduling benchmark in virtual time. A discrete-event loop over three event kinds:
/// <code>
///   arrival (Poisson) ─▶ picker.Pick(snapshots) ─▶ engine[chosen].Submit      (429 → retry after RetryAfter)
///   scrape every 50 ms ─▶ snapshots = engine.Snapshot() + own in-flight counts + routed since the scrape
///                          (what the scheduler would see)
///   before each event: every engine AdvanceTo(t); finished requests leave the in-flight counts
/// </code>
/// The picker is the real scheduler pipeline (EndpointPickerFactory profiles), the engines the simulator's real
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
        var clock = new VirtualTimeProvider();
        var picker = ProfileCatalog.Create(spec.Policy, new EndpointPickerOptions
        {
            TimeProvider = clock,
            Random = new Random(StableSeed.Of(spec.Seed, spec.Policy)),
        });
        var engines = Enumerable.Range(0, spec.Replicas).Select(_ => EngineFactory.Create(spec.Engine)).ToArray();
        var addresses = Enumerable.Range(0, spec.Replicas).Select(i => $"10.0.0.{i + 1}:8000").ToArray();
        var inFlight = new int[spec.Replicas];
        var routedSinceScrape = new int[spec.Replicas];
        var scraped = new EngineSnapshot[spec.Replicas];
        var scrapedAt = TimeSpan.Zero;
        for (var i = 0; i < engines.Length; i++)
        {
            scraped[i] = engines[i].Snapshot();
        }

        // Arrivals: Poisson at Qps over the window, each a uniformly drawn prompt; identical for every policy (same seed).
        var rng = new Random(StableSeed.Of(spec.Seed, spec.Qps, spec.Replicas, spec.Workload.Name));
        var arrivals = new List<Tracked>();
        for (var t = NextGap(rng, spec.Qps); t < spec.ArrivalWindow.TotalSeconds; t += NextGap(rng, spec.Qps))
        {
            arrivals.Add(new Tracked(arrivals.Count, rng.Next(spec.Prompts.Count), TimeSpan.FromSeconds(t)));
        }

        var retries = new PriorityQueue<Tracked, TimeSpan>();
        var bySequence = new Dictionary<EngineSequence, Tracked>(ReferenceEqualityComparer.Instance);
        var nextArrival = 0;
        var nextScrape = TimeSpan.Zero;
        var maxQueue = 0;
        var rejections = 0;
        var live = 0;
        var end = spec.ArrivalWindow + spec.MaxDrain;

        void Advance(TimeSpan t)
        {
            for (var i = 0; i < engines.Length; i++)
            {
                foreach (var token in engines[i].AdvanceTo(t))
                {
                    if (token.IsFinal && bySequence.Remove(token.Sequence, out var tracked))
                    {
                        tracked.Done = true;
                        inFlight[tracked.Endpoint]--;
                        live--;
                    }
                }
            }
        }

        void Dispatch(Tracked request, TimeSpan now)
        {
            var prompt = spec.Prompts[request.PromptIndex];
            var snapshots = new EndpointSnapshot[engines.Length];
            for (var i = 0; i < engines.Length; i++)
            {
                snapshots[i] = new EndpointSnapshot
                {
                    Address = addresses[i],
                    WaitingRequests = scraped[i].Waiting,
                    RunningRequests = scraped[i].Running,
                    KvCacheUsage = scraped[i].KvCacheUsage,
                    InFlightRequests = inFlight[i],
                    RoutedSinceScrape = routedSinceScrape[i],
                    MetricsUpdatedAt = clock.At(scrapedAt),
                    KvBlockSize = scraped[i].BlockSize,
                    KvTotalBlocks = scraped[i].NumGpuBlocks,
                };
            }

            request.Attempts++;
            var result = picker.Pick(new SchedulingRequest { RequestId = "r", Model = "Qwen/Qwen2.5-3B-Instruct", Prompt = prompt.RenderedText }, snapshots);
            if (result.Outcome != SchedulingOutcome.Scheduled)
            {
                // The gateway answers 429 (saturated); a well-behaved client retries after Retry-After.
                rejections++;
                retries.Enqueue(request, now + spec.RetryAfter);
                return;
            }

            var endpoint = Array.IndexOf(addresses, result.Primary.Address);
            request.Endpoint = endpoint;
            inFlight[endpoint]++;
            routedSinceScrape[endpoint]++;
            request.Sequence = engines[endpoint].Submit(new GenerationRequest
            {
                RequestId = "q" + request.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                PromptTokenIds = prompt.TokenIds,
                OutputTokens = spec.Workload.OutputTokens,
                ArrivalTime = now,
            });
            bySequence[request.Sequence] = request;
        }

        var now = TimeSpan.Zero;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tArrival = nextArrival < arrivals.Count ? arrivals[nextArrival].Arrival : TimeSpan.MaxValue;
            var tRetry = retries.TryPeek(out _, out var rt) ? rt : TimeSpan.MaxValue;
            var pending = nextArrival < arrivals.Count || retries.Count > 0 || live > 0;
            if (!pending || now > end)
            {
                break;
            }

            var t = Min(tArrival, tRetry, nextScrape);
            now = t;
            clock.Now = t;
            Advance(t);
            if (t == nextScrape)
            {
                for (var i = 0; i < engines.Length; i++)
                {
                    scraped[i] = engines[i].Snapshot();
                    maxQueue = Math.Max(maxQueue, scraped[i].Waiting);
                }

                // The virtual scrape is instantaneous: everything routed so far is in its figures.
                Array.Clear(routedSinceScrape);
                scrapedAt = t;
                nextScrape = t + spec.ScrapeInterval;
            }
            else if (t == tRetry)
            {
                Dispatch(retries.Dequeue(), t);
            }
            else
            {
                live++;
                Dispatch(arrivals[nextArrival++], t);
            }
        }

        return Measure(spec, arrivals, rejections, maxQueue, engines, now);
    }

    private static PointResult Measure(PointSpec spec, List<Tracked> arrivals, int rejections, int maxQueue, IEngineCore[] engines, TimeSpan end)
    {
        var measured = arrivals.Where(a => a.Arrival >= spec.Warmup).ToList();
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

        // Output tokens per second over the measured part of the arrival window (steady state, not the drain).
        var from = spec.Warmup;
        var to = spec.ArrivalWindow;
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

        var ttftSorted = ttft.ToArray();
        Array.Sort(ttftSorted);
        var itlSorted = itl.ToArray();
        Array.Sort(itlSorted);
        return new PointResult
        {
            TtftP50Ms = Stats.PercentileSorted(ttftSorted, 50),
            TtftP90Ms = Stats.PercentileSorted(ttftSorted, 90),
            TtftP99Ms = Stats.PercentileSorted(ttftSorted, 99),
            ItlP50Ms = Stats.PercentileSorted(itlSorted, 50),
            ItlP90Ms = Stats.PercentileSorted(itlSorted, 90),
            OutputTokensPerS = tokens / (to - from).TotalSeconds,
            PrefixHitRate = prompt == 0 ? 0 : (double)cached / prompt,
            MaxQueue = maxQueue,
            Requests = arrivals.Count,
            Measured = measured.Count,
            Rejections = rejections,
            Preemptions = engines.Sum(e => e.Snapshot().Preemptions),
            VirtualSeconds = end.TotalSeconds,
        };
    }

    private static double NextGap(Random rng, double rate) => -Math.Log(1 - rng.NextDouble()) / rate;

    private static TimeSpan Min(TimeSpan a, TimeSpan b, TimeSpan c) => a < b ? (a < c ? a : c) : (b < c ? b : c);
}
