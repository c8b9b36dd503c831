namespace PatternOne.Scheduler.Scheduling;

/// <summary>
/// What the scheduler knows about one model-server endpoint at the moment of a pick: the last scraped vLLM
/// metrics plus the requests this scheduler routed there and has not yet seen complete. Immutable, so a pick
/// sees one consistent view while scrapes carry on.
/// </summary>
public sealed record EndpointSnapshot
{
    /// <summary>The endpoint as <c>ip:port</c>; the value sent in <c>x-gateway-destination-endpoint</c> and the identity used by the prefix index.</summary>
    public required string Address { get; init; }

    /// <summary><c>vllm:num_requests_waiting</c>.</summary>
    public int WaitingRequests { get; init; }

    /// <summary><c>vllm:num_requests_running</c>.</summary>
    public int RunningRequests { get; init; }

    /// <summary><c>vllm:kv_cache_usage_perc</c>, 0..1.</summary>
    public double KvCacheUsage { get; init; }

    /// <summary>Requests this scheduler routed to the endpoint whose response has not finished (never stale; read by <c>active-request-scorer</c>).</summary>
    public int InFlightRequests { get; init; }

    /// <summary>
    /// Requests this scheduler routed to the endpoint after the scrape that produced <see cref="WaitingRequests"/>
    /// began: the scrape cannot have seen them yet. Zero again with every scrape.
    /// </summary>
    public int RoutedSinceScrape { get; init; }

    /// <summary>
    /// The queue a request routed now would join, as best known: <see cref="WaitingRequests"/> + <see cref="RoutedSinceScrape"/>.
    /// The queue scorers and the saturation detector read this, so a burst inside one scrape interval sees its own
    /// earlier picks instead of herding onto whichever endpoint looked best at the last scrape.
    /// </summary>
    public int QueueEstimate => WaitingRequests + RoutedSinceScrape;

    /// <summary>When the metrics above were scraped; <see langword="null"/> if never (counts as stale, hence saturated).</summary>
    public DateTimeOffset? MetricsUpdatedAt { get; init; }

    /// <summary><c>vllm:cache_config_info{block_size}</c> in tokens, when known.</summary>
    public int? KvBlockSize { get; init; }

    /// <summary><c>vllm:cache_config_info{num_gpu_blocks}</c>, when known.</summary>
    public long? KvTotalBlocks { get; init; }
}
