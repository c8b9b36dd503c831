using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Observability;

namespace PatternOne.Gateway.Pools;

/// <summary>The gateway's own view of each pool, by pool name.</summary>
public sealed class PoolViews
{
    private readonly FrozenDictionary<string, PoolView> _pools;

    public PoolViews(IOptions<GatewayOptions> options, TimeProvider timeProvider, ILogger<PoolViews> logger)
    {
        _pools = options.Value.Pools.ToFrozenDictionary(p => p.Name, p => new PoolView(p, timeProvider, logger), StringComparer.Ordinal);
    }

    public IEnumerable<PoolView> All => _pools.Values;

    public PoolView this[string pool] => _pools[pool];
}

/// <summary>
/// One pool's configured endpoints with the gateway's own opinion of their health: a probe of <c>/health</c> and
/// passive marking when a forward fails to connect. It serves FailOpen and body-less calls, and the fallback after
/// the picker's endpoints; the picker's richer view (queues, KV cache) decides everything else.
/// </summary>
public sealed class PoolView
{
    private readonly EndpointState[] _endpoints;
    private readonly ILogger _logger;
    private int _next = -1;

    internal PoolView(GatewayPoolOptions options, TimeProvider timeProvider, ILogger logger)
    {
        Options = options;
        _logger = logger;
        _endpoints = options.Endpoints
            .Select(e => EndpointAddress.TryParse(e, out var address) ? new EndpointState(address, timeProvider) : null)
            .OfType<EndpointState>()
            .ToArray();
    }

    public GatewayPoolOptions Options { get; }

    public string Name => Options.Name;

    public IReadOnlyList<EndpointAddress> Endpoints => _endpoints.Select(e => e.Address).ToArray();

    /// <summary>Ready endpoints, rotated one step per call so body-less and fail-open traffic spreads over the pool.</summary>
    public IReadOnlyList<EndpointAddress> ReadyInRotation()
    {
        if (_endpoints.Length == 0)
        {
            return [];
        }

        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)_endpoints.Length);
        var ready = new List<EndpointAddress>(_endpoints.Length);
        for (var i = 0; i < _endpoints.Length; i++)
        {
            var state = _endpoints[(start + i) % _endpoints.Length];
            if (state.Healthy)
            {
                ready.Add(state.Address);
            }
        }

        return ready;
    }

    public bool IsReady(EndpointAddress address) => Find(address)?.Healthy ?? true;

    /// <summary>A forward could not reach <paramref name="address"/>: out of rotation until a probe succeeds.</summary>
    public void MarkFailed(EndpointAddress address) => Set(address, healthy: false);

    public void MarkHealthy(EndpointAddress address)
    {
        if (Find(address) is { } state)
        {
            state.Answered();
        }

        Set(address, healthy: true);
    }

    /// <summary>
    /// A health probe sent at <paramref name="probeSentAt"/> (a <see cref="TimeProvider"/> timestamp) got no answer at all
    /// for the unresponsive limit. When nothing else came from the replica since either — no probe answer, no response
    /// headers, no stream byte — it is hung: out of rotation, and <see cref="Liveness"/>'s signal fires for the requests
    /// in flight on it. A replica still sending on some request is alive, only slow to answer <c>/health</c> (a loaded
    /// event loop): it only leaves rotation, and its streams go on.
    /// </summary>
    /// <returns>Whether the replica was found hung (now or before).</returns>
    public bool MarkUnresponsive(EndpointAddress address, long probeSentAt)
    {
        if (Find(address) is not { } state)
        {
            return false;
        }

        Set(address, healthy: false);
        if (!state.Hung(probeSentAt, out var newly))
        {
            return false;
        }

        if (newly)
        {
            GatewayLog.EndpointUnresponsive(_logger, Name, address.Authority);
        }

        return true;
    }

    /// <summary>
    /// What a request on <paramref name="address"/> holds: the signal that fires when the replica is found hung while the
    /// request is on it, and the place to report each sign of life. Null for an endpoint outside this view (a picker may
    /// name endpoints the gateway does not probe: only the timeouts guard those).
    /// </summary>
    public EndpointLiveness? Liveness(EndpointAddress address) => Find(address);

    private void Set(EndpointAddress address, bool healthy)
    {
        if (Find(address) is { } state && state.Healthy != healthy)
        {
            state.Healthy = healthy;
            GatewayLog.EndpointHealthChanged(_logger, Name, address.Authority, healthy ? "ready" : "not ready");
        }
    }

    private EndpointState? Find(EndpointAddress address)
    {
        foreach (var state in _endpoints)
        {
            if (state.Address == address)
            {
                return state;
            }
        }

        return null;
    }

    private sealed class EndpointState(EndpointAddress address, TimeProvider timeProvider) : EndpointLiveness
    {
        // Orders a hung verdict and a probe answer: without it the verdict could read the old sign of life, the answer
        // find nothing to undo, and the verdict then mark hung a replica that had just answered (until its next answer).
        private readonly Lock _verdict = new();
        private bool _hung;
        private volatile bool _healthy = true;
        private volatile CancellationTokenSource _unresponsive = new();
        private long _lastSignOfLife = timeProvider.GetTimestamp();

        /// <summary>The signal for requests starting now; replaced once the replica answers again.</summary>
        public override CancellationToken Unresponsive => _unresponsive.Token;

        public long LastSignOfLife => Volatile.Read(ref _lastSignOfLife);

        // Once per SSE chunk: one clock read and one store, no lock.
        public override void SignOfLife() => Volatile.Write(ref _lastSignOfLife, timeProvider.GetTimestamp());

        /// <summary>
        /// Marks the replica hung unless it showed life after <paramref name="probeSentAt"/>; <paramref name="newly"/>
        /// when it was not already known to be hung.
        /// </summary>
        public bool Hung(long probeSentAt, out bool newly)
        {
            CancellationTokenSource signal;
            lock (_verdict)
            {
                newly = false;
                if (LastSignOfLife > probeSentAt)
                {
                    return false;
                }

                if (_hung)
                {
                    return true;
                }

                _hung = true;
                newly = true;
                signal = _unresponsive;
            }

            // Outside the lock: cancelling runs every request's reaction (attempts moved, streams ended). An answer that
            // came in meanwhile has already given new requests a fresh signal; the requests that hold this one started
            // before it. Not disposed: requests still hold its token, and a disposed source's token cannot be registered on.
            signal.Cancel();
            return true;
        }

        public void Answered()
        {
            lock (_verdict)
            {
                SignOfLife();
                if (_hung)
                {
                    _hung = false;
                    _unresponsive = new CancellationTokenSource();
                }
            }
        }

        public EndpointAddress Address { get; } = address;

        // Ready until shown otherwise: at start the gateway must serve before its first probe round completes.
        public bool Healthy
        {
            get => _healthy;
            set => _healthy = value;
        }
    }
}

/// <summary>
/// A replica's liveness as a request on it sees it: <see cref="Unresponsive"/> fires when the gateway finds the replica
/// hung, and <see cref="SignOfLife"/> reports that the replica just sent something (response headers, a stream chunk),
/// which keeps a replica that is slow to answer its probe from being taken for a hung one.
/// </summary>
public abstract class EndpointLiveness
{
    /// <summary>Fires when the replica is found hung; take it when a request starts on the replica.</summary>
    public abstract CancellationToken Unresponsive { get; }

    /// <summary>The replica just sent a response byte.</summary>
    public abstract void SignOfLife();
}
