using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Prefix;

/// <summary>
/// The approximate prefix-cache index: which endpoint is believed to hold which prompt block. Each endpoint has
/// a bounded LRU of block hashes (its stand-in for vLLM's KV cache); a reverse map from hash to holders makes a
/// match one dictionary lookup per block rather than one per block per endpoint.
/// </summary>
/// <remarks>
/// "Believed": the index learns speculatively when a request is routed and forgets only by LRU eviction or when the
/// endpoint leaves, so it can be wrong after the engine evicts blocks on its own. That is upstream's trade-off too.
/// </remarks>
internal sealed class PrefixIndex
{
    /// <summary>Upstream's <c>lruCapacityPerServer</c>: (80−16) GB / 128 KB per token / 16 tokens per block ≈ 31,250 blocks.</summary>
    public const int DefaultCapacityPerEndpoint = 31_250;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, EndpointBlocks> _endpoints = new(StringComparer.Ordinal);

    // Copy-on-write arrays: almost every hash has one or two holders, so an array beats a set in memory.
    private readonly Dictionary<ulong, EndpointBlocks[]> _holders = [];

    // Capacities learned from the endpoints' own KV-cache size (autoTune); absent endpoints use CapacityPerEndpoint.
    private readonly Dictionary<string, int> _tunedCapacity = new(StringComparer.Ordinal);

    public PrefixIndex(int capacityPerEndpoint = DefaultCapacityPerEndpoint)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityPerEndpoint, 1);
        CapacityPerEndpoint = capacityPerEndpoint;
    }

    /// <summary>The LRU capacity of an endpoint whose own size is not known (upstream's <c>lruCapacityPerServer</c>).</summary>
    public int CapacityPerEndpoint { get; }

    /// <summary>The LRU capacity used for <paramref name="address"/>: tuned from its KV cache, else <see cref="CapacityPerEndpoint"/>.</summary>
    public int CapacityFor(string address)
    {
        lock (_gate)
        {
            return _tunedCapacity.TryGetValue(address, out var tuned) ? tuned : CapacityPerEndpoint;
        }
    }

    /// <summary>
    /// Sizes each candidate's LRU from what it reports about itself (upstream's <c>autoTune</c>: the index should
    /// remember as much as the endpoint's KV cache can hold). Candidates for which <paramref name="capacityOf"/> has no
    /// answer keep their current capacity; a shrunk capacity evicts the least recent blocks at once.
    /// </summary>
    public void Tune(IReadOnlyList<EndpointSnapshot> candidates, Func<EndpointSnapshot, int?> capacityOf)
    {
        lock (_gate)
        {
            foreach (var candidate in candidates)
            {
                if (capacityOf(candidate) is not { } capacity || capacity < 1
                    || (_tunedCapacity.TryGetValue(candidate.Address, out var current) && current == capacity))
                {
                    continue;
                }

                _tunedCapacity[candidate.Address] = capacity;
                if (_endpoints.TryGetValue(candidate.Address, out var endpoint))
                {
                    while (endpoint.Count > capacity)
                    {
                        RemoveHolder(endpoint.RemoveLeastRecent(), endpoint);
                    }
                }
            }
        }
    }

    /// <summary>Total block entries over all endpoints (upstream's <c>prefix_indexer_size</c>).</summary>
    public int Size
    {
        get
        {
            lock (_gate)
            {
                var size = 0;
                foreach (var endpoint in _endpoints.Values)
                {
                    size += endpoint.Count;
                }

                return size;
            }
        }
    }

    /// <summary>Block entries held for one endpoint.</summary>
    public int CountFor(string address)
    {
        lock (_gate)
        {
            return _endpoints.TryGetValue(address, out var endpoint) ? endpoint.Count : 0;
        }
    }

    /// <summary>
    /// For each candidate, writes how many leading blocks of <paramref name="hashes"/> it holds consecutively.
    /// The walk stops at the first block nobody among the candidates holds: chained hashes make later matches
    /// meaningless after a gap.
    /// </summary>
    public void Match(ReadOnlySpan<ulong> hashes, IReadOnlyList<EndpointSnapshot> candidates, Span<int> matched)
    {
        matched.Clear();
        if (hashes.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            if (_endpoints.Count == 0)
            {
                return;
            }

            // Mark each candidate's entry with its index for the duration of this walk (safe under the lock).
            var marked = 0;
            for (var i = 0; i < candidates.Count; i++)
            {
                if (_endpoints.TryGetValue(candidates[i].Address, out var endpoint))
                {
                    endpoint.CandidateIndex = i;
                    marked++;
                }
            }

            if (marked == 0)
            {
                return;
            }

            try
            {
                for (var block = 0; block < hashes.Length; block++)
                {
                    if (!_holders.TryGetValue(hashes[block], out var holders))
                    {
                        break;
                    }

                    var progressed = false;
                    foreach (var holder in holders)
                    {
                        var index = holder.CandidateIndex;
                        if (index >= 0 && matched[index] == block)
                        {
                            matched[index] = block + 1;
                            progressed = true;
                        }
                    }

                    if (!progressed)
                    {
                        break;
                    }
                }
            }
            finally
            {
                for (var i = 0; i < candidates.Count; i++)
                {
                    if (_endpoints.TryGetValue(candidates[i].Address, out var endpoint))
                    {
                        endpoint.CandidateIndex = -1;
                    }
                }
            }
        }
    }

    /// <summary>Records that <paramref name="address"/> now holds these blocks (moving known ones to most recent).</summary>
    public void Learn(string address, ReadOnlySpan<ulong> hashes)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (hashes.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            if (!_endpoints.TryGetValue(address, out var endpoint))
            {
                endpoint = new EndpointBlocks(address);
                _endpoints.Add(address, endpoint);
            }

            var capacity = _tunedCapacity.TryGetValue(address, out var tuned) ? tuned : CapacityPerEndpoint;

            // Walk backwards so the head of the prompt ends up most recent: eviction then trims the tail of a
            // chain first, which keeps the surviving blocks matchable (a missing head block would orphan them all).
            for (var i = hashes.Length - 1; i >= 0; i--)
            {
                var hash = hashes[i];
                if (endpoint.Touch(hash))
                {
                    continue;
                }

                endpoint.AddMostRecent(hash);
                AddHolder(hash, endpoint);
                if (endpoint.Count > capacity)
                {
                    RemoveHolder(endpoint.RemoveLeastRecent(), endpoint);
                }
            }
        }
    }

    /// <summary>Forgets everything about an endpoint (it left the pool).</summary>
    public void Forget(string address)
    {
        lock (_gate)
        {
            _tunedCapacity.Remove(address);
            if (!_endpoints.Remove(address, out var endpoint))
            {
                return;
            }

            foreach (var hash in endpoint.Hashes)
            {
                RemoveHolder(hash, endpoint);
            }
        }
    }

    private void AddHolder(ulong hash, EndpointBlocks endpoint)
    {
        if (_holders.TryGetValue(hash, out var holders))
        {
            var grown = new EndpointBlocks[holders.Length + 1];
            holders.CopyTo(grown, 0);
            grown[^1] = endpoint;
            _holders[hash] = grown;
        }
        else
        {
            _holders.Add(hash, [endpoint]);
        }
    }

    private void RemoveHolder(ulong hash, EndpointBlocks endpoint)
    {
        if (!_holders.TryGetValue(hash, out var holders))
        {
            return;
        }

        var at = Array.IndexOf(holders, endpoint);
        if (at < 0)
        {
            return;
        }

        if (holders.Length == 1)
        {
            _holders.Remove(hash);
            return;
        }

        var shrunk = new EndpointBlocks[holders.Length - 1];
        Array.Copy(holders, 0, shrunk, 0, at);
        Array.Copy(holders, at + 1, shrunk, at, holders.Length - at - 1);
        _holders[hash] = shrunk;
    }

    /// <summary>One endpoint's LRU of block hashes.</summary>
    private sealed class EndpointBlocks(string address)
    {
        private readonly LinkedList<ulong> _order = new();
        private readonly Dictionary<ulong, LinkedListNode<ulong>> _nodes = [];

        public string Address { get; } = address;

        public int CandidateIndex { get; set; } = -1;

        public int Count => _nodes.Count;

        public IEnumerable<ulong> Hashes => _nodes.Keys;

        public bool Touch(ulong hash)
        {
            if (!_nodes.TryGetValue(hash, out var node))
            {
                return false;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            return true;
        }

        public void AddMostRecent(ulong hash) => _nodes.Add(hash, _order.AddFirst(hash));

        public ulong RemoveLeastRecent()
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _nodes.Remove(last.Value);
            return last.Value;
        }

        public override string ToString() => $"{Address} ({Count} blocks)";
    }
}
