using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Metrics;

/// <summary>The last metrics scraped from one endpoint.</summary>
public sealed record EndpointMetrics
{
    public int WaitingRequests { get; init; }

    public int RunningRequests { get; init; }

    public double KvCacheUsage { get; init; }

    public int? KvBlockSize { get; init; }

    public long? KvTotalBlocks { get; init; }

    public DateTimeOffset ScrapedAt { get; init; }
}

/// <summary>One member of the pool: its latest metrics (replaced whole on each scrape) and its in-flight count.</summary>
public sealed class EndpointState(string address)
{
    private readonly CancellationTokenSource _removed = new();
    private volatile EndpointMetrics? _metrics;
    private int _inFlight;

    public string Address { get; } = address;

    public EndpointMetrics? Metrics
    {
        get => _metrics;
        set => _metrics = value;
    }

    public int InFlightRequests => Volatile.Read(ref _inFlight);

    /// <summary>Cancelled when the endpoint leaves the pool; its scrape loop stops on it.</summary>
    public CancellationToken Removed => _removed.Token;

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    public void RequestCompleted()
    {
        // Never below zero, even if a completion races a removal and re-add.
        var current = Volatile.Read(ref _inFlight);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _inFlight, current - 1, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    internal void MarkRemoved() => _removed.Cancel();

    public EndpointSnapshot ToSnapshot()
    {
        var metrics = _metrics;
        return new EndpointSnapshot
        {
            Address = Address,
            WaitingRequests = metrics?.WaitingRequests ?? 0,
            RunningRequests = metrics?.RunningRequests ?? 0,
            KvCacheUsage = metrics?.KvCacheUsage ?? 0,
            KvBlockSize = metrics?.KvBlockSize,
            KvTotalBlocks = metrics?.KvTotalBlocks,
            MetricsUpdatedAt = metrics?.ScrapedAt,
            InFlightRequests = InFlightRequests,
        };
    }
}
