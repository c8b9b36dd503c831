using Microsoft.Extensions.Options;
using PatternOne.Gateway.Endpoints;

namespace PatternOne.Gateway.Pools;

/// <summary>A light active check of the gateway's own pool view: <c>GET /health</c> on each endpoint every few seconds.</summary>
internal sealed class PoolHealthProber(PoolViews pools, IOptions<GatewayOptions> options, TimeProvider timeProvider) : BackgroundService
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

        using var timer = new PeriodicTimer(forwarding.HealthCheckInterval, timeProvider);
        do
        {
            await Task.WhenAll(pools.All.SelectMany(pool => pool.Endpoints.Select(endpoint => ProbeAsync(pool, endpoint, forwarding.HealthCheckPath, stoppingToken))));
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
    /// <see cref="GatewayForwardingOptions.UnresponsiveAfter"/> means the process is hung.
    /// </summary>
    private async Task ProbeAsync(PoolView pool, EndpointAddress endpoint, string path, CancellationToken cancellationToken)
    {
        var forwarding = options.Value.Forwarding;
        using var hung = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hung.CancelAfter(forwarding.UnresponsiveAfter);
        var probe = _client.GetAsync(new Uri(endpoint.DestinationPrefix.TrimEnd('/') + path), hung.Token);
        try
        {
            var late = false;
            try
            {
                await probe.WaitAsync(forwarding.HealthCheckTimeout, timeProvider, cancellationToken);
            }
            catch (TimeoutException)
            {
                late = true;
                pool.MarkFailed(endpoint);
            }

            using var response = await probe;
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
            // Connected (or still connecting) and no answer at all for UnresponsiveAfter: hung, not dead.
            pool.MarkUnresponsive(endpoint);
        }
        catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
        {
            pool.MarkFailed(endpoint);
        }
    }
}
