using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Observability;

namespace PatternOne.Gateway.Pools;

/// <summary>The gateway's own view of each pool, by pool name.</summary>
public sealed class PoolViews
{
    private readonly FrozenDictionary<string, PoolView> _pools;

    public PoolViews(IOptions<GatewayOptions> options, ILogger<PoolViews> logger)
    {
        _pools = options.Value.Pools.ToFrozenDictionary(p => p.Name, p => new PoolView(p, logger), StringComparer.Ordinal);
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

    internal PoolView(GatewayPoolOptions options, ILogger logger)
    {
        Options = options;
        _logger = logger;
        _endpoints = options.Endpoints
            .Select(e => EndpointAddress.TryParse(e, out var address) ? new EndpointState(address) : null)
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
    /// A health probe got no answer at all for the unresponsive limit: the replica is hung. Out of rotation, and
    /// <see cref="UnresponsiveSignal"/> fires for the requests in flight on it.
    /// </summary>
    public void MarkUnresponsive(EndpointAddress address)
    {
        if (Find(address) is not { } state)
        {
            return;
        }

        Set(address, healthy: false);
        if (state.Hung())
        {
            GatewayLog.EndpointUnresponsive(_logger, Name, address.Authority);
        }
    }

    /// <summary>
    /// Fires when <paramref name="address"/> is found unresponsive while a request is on it; never for an endpoint
    /// outside this view (a picker may name endpoints the gateway does not probe: only the timeouts guard those).
    /// </summary>
    public CancellationToken UnresponsiveSignal(EndpointAddress address) => Find(address)?.Unresponsive ?? CancellationToken.None;

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

    private sealed class EndpointState(EndpointAddress address)
    {
        private volatile bool _healthy = true;
        private volatile CancellationTokenSource _unresponsive = new();

        /// <summary>The signal for requests starting now; replaced once the replica answers again.</summary>
        public CancellationToken Unresponsive => _unresponsive.Token;

        /// <summary>True when the replica was not already known to be hung.</summary>
        public bool Hung()
        {
            if (_unresponsive.IsCancellationRequested)
            {
                return false;
            }

            // Not disposed: requests still hold its token, and a disposed source's token cannot be registered on.
            _unresponsive.Cancel();
            return true;
        }

        public void Answered()
        {
            if (_unresponsive.IsCancellationRequested)
            {
                _unresponsive = new CancellationTokenSource();
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
