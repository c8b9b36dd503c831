using PatternOne.Scheduler.Metrics;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Discovery;

/// <summary>
/// The live set of endpoints and what is known about each: discovery writes membership, the scraper writes
/// metrics and scrape health, the ext_proc service counts in-flight requests. Picks read an immutable snapshot of
/// the candidates: the members whose metrics can be had (see <see cref="CandidateSnapshot"/>).
/// </summary>
public sealed class EndpointPool
{
    private readonly Lock _gate = new();
    private readonly EndpointStateSettings _settings;
    private readonly Dictionary<string, EndpointState> _byAddress = new(StringComparer.Ordinal);
    private volatile EndpointState[] _endpoints = [];
    private volatile bool _synced;

    public EndpointPool()
        : this(new EndpointStateSettings())
    {
    }

    public EndpointPool(EndpointStateSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    /// <summary>Raised (outside the lock) for every endpoint that joins.</summary>
    public event Action<EndpointState>? EndpointAdded;

    /// <summary>Raised (outside the lock) for every endpoint that leaves.</summary>
    public event Action<EndpointState>? EndpointRemoved;

    /// <summary>True once discovery has delivered its first complete view (readiness).</summary>
    public bool IsSynced => _synced;

    /// <summary>Current members, ordered by address.</summary>
    public IReadOnlyList<EndpointState> Endpoints => _endpoints;

    public EndpointState? Find(string address)
    {
        lock (_gate)
        {
            return _byAddress.GetValueOrDefault(address);
        }
    }

    /// <summary>Makes the pool exactly <paramref name="addresses"/>; unchanged members keep their metrics and counters.</summary>
    public void Replace(IEnumerable<string> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var wanted = new HashSet<string>(addresses, StringComparer.Ordinal);
        List<EndpointState> added = [];
        List<EndpointState> removed = [];
        lock (_gate)
        {
            foreach (var (address, state) in _byAddress)
            {
                if (!wanted.Contains(address))
                {
                    removed.Add(state);
                }
            }

            foreach (var state in removed)
            {
                _byAddress.Remove(state.Address);
            }

            foreach (var address in wanted)
            {
                if (!_byAddress.ContainsKey(address))
                {
                    var state = new EndpointState(address, _settings);
                    _byAddress.Add(address, state);
                    added.Add(state);
                }
            }

            _endpoints = [.. _byAddress.Values.OrderBy(e => e.Address, StringComparer.Ordinal)];
            _synced = true;
        }

        foreach (var state in removed)
        {
            state.MarkRemoved();
            EndpointRemoved?.Invoke(state);
        }

        foreach (var state in added)
        {
            EndpointAdded?.Invoke(state);
        }
    }

    /// <summary>
    /// The endpoints a pick may choose from, as an immutable view: the <see cref="ScrapeHealth.Healthy"/> members, or
    /// every member when none is healthy (fail open: with no metrics anywhere the pool still routes, as a plain
    /// Service would). A replica whose scrapes keep failing thus leaves the candidates and returns with its next
    /// successful scrape; one that just joined waits for its first.
    /// </summary>
    public EndpointSnapshot[] CandidateSnapshot()
    {
        var endpoints = _endpoints;
        var healthy = new List<EndpointSnapshot>(endpoints.Length);
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Health == ScrapeHealth.Healthy)
            {
                healthy.Add(endpoint.ToSnapshot());
            }
        }

        return healthy.Count == 0 ? Snapshot() : [.. healthy];
    }

    /// <summary>An immutable view of every member (metrics export).</summary>
    public EndpointSnapshot[] Snapshot()
    {
        var endpoints = _endpoints;
        var snapshots = new EndpointSnapshot[endpoints.Length];
        for (var i = 0; i < endpoints.Length; i++)
        {
            snapshots[i] = endpoints[i].ToSnapshot();
        }

        return snapshots;
    }
}
