using Microsoft.Extensions.Options;
using PatternOne.Gateway.Forwarding;

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
        Timeout = options.Value.Forwarding.HealthCheckTimeout,
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

    private async Task ProbeAsync(PoolView pool, EndpointAddress endpoint, string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(new Uri(endpoint.DestinationPrefix.TrimEnd('/') + path), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                pool.MarkHealthy(endpoint);
            }
            else
            {
                pool.MarkFailed(endpoint);
            }
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Connected (or still connecting) but no answer in time: hung, not dead.
            pool.ProbeTimedOut(endpoint, options.Value.Forwarding.UnresponsiveAfterProbes);
        }
        catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
        {
            pool.MarkFailed(endpoint);
        }
    }
}
