using Microsoft.Extensions.Options;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Observability;

namespace PatternOne.Gateway.Pools;

/// <summary>A light active check of the gateway's own pool view: <c>GET /health</c> on each endpoint every few seconds.</summary>
internal sealed class PoolHealthProber(PoolViews pools, IOptions<GatewayOptions> options, TimeProvider timeProvider, ILogger<PoolHealthProber> logger)
    : BackgroundService
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = options.Value.Forwarding.HealthCheckTimeout,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    })
    {
        // Each probe bounds itself: HealthCheckTimeout for readiness, UnresponsiveAfter for "hung".
        Timeout = Timeout.InfiniteTimeSpan,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var forwarding = options.Value.Forwarding;
        if (forwarding.HealthCheckInterval <= TimeSpan.Zero || !pools.All.Any(p => p.Endpoints.Count > 0))
        {
            return;
        }

        // One schedule per endpoint: a hung replica's probe, which lasts UnresponsiveAfter, must not hold back the
        // probes of the others, nor its own next ones.
        await Task.WhenAll(pools.All.SelectMany(pool => pool.Endpoints.Select(endpoint => ProbeOnScheduleAsync(pool, endpoint, stoppingToken))));
    }

    /// <summary>
    /// Sends a probe every <see cref="GatewayForwardingOptions.HealthCheckInterval"/> without waiting for the previous
    /// one, so a replica that freezes is found hung within HealthCheckInterval + UnresponsiveAfter of the freeze: the
    /// first probe sent after its last sign of life goes unanswered, and is judged UnresponsiveAfter after it left. At
    /// most UnresponsiveAfter / HealthCheckInterval + 1 probes are ever open to one replica.
    /// </summary>
    private async Task ProbeOnScheduleAsync(PoolView pool, EndpointAddress endpoint, CancellationToken stoppingToken)
    {
        var forwarding = options.Value.Forwarding;
        using var timer = new PeriodicTimer(forwarding.HealthCheckInterval, timeProvider);
        do
        {
            // Each probe ends by itself within UnresponsiveAfter and handles its own failures: its task never faults.
            _ = ProbeAsync(pool, endpoint, forwarding.HealthCheckPath, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// One probe: an answer in time is healthy; a late one takes the replica out of rotation; none within
    /// <see cref="GatewayForwardingOptions.UnresponsiveAfter"/>, and nothing else from the replica since the probe left,
    /// means the process is hung.
    /// </summary>
    private async Task ProbeAsync(PoolView pool, EndpointAddress endpoint, string path, CancellationToken cancellationToken)
    {
        var forwarding = options.Value.Forwarding;
        var sentAt = timeProvider.GetTimestamp();
        using var hung = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hung.CancelAfter(forwarding.UnresponsiveAfter);
        var probe = _client.GetAsync(new Uri(endpoint.DestinationPrefix.TrimEnd('/') + path), hung.Token);
        try
        {
            var late = false;
            try
            {
                // Not on the stop token: the probe itself is cancelled by it (hung is linked), and this wait observes it.
                await probe.WaitAsync(forwarding.HealthCheckTimeout, timeProvider);
            }
            catch (TimeoutException)
            {
                late = true;
                pool.MarkFailed(endpoint);
            }

            using var response = await probe;
            // Any answer, however late or whatever its status, shows the process is not frozen: probes overlap, so a late
            // answer to one must keep the next, still open, from marking the replica hung.
            pool.Liveness(endpoint)?.SignOfLife();
            if (response.IsSuccessStatusCode && !late)
            {
                pool.MarkHealthy(endpoint);
            }
            else
            {
                pool.MarkFailed(endpoint);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Connected (or still connecting) and no answer at all for UnresponsiveAfter: hung, not dead — unless the
            // replica sent something else meanwhile.
            pool.MarkUnresponsive(endpoint, sentAt);
        }
        catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
        {
            pool.MarkFailed(endpoint);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // The gateway is stopping, and replicas often stop with it: whatever the probe ran into then is expected.
            GatewayLog.ProbeEndedByStop(logger, pool.Name, endpoint.Authority, ex);
        }
    }
}
