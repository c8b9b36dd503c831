using Microsoft.Extensions.Options;

namespace PatternOne.Scheduler.Discovery;

/// <summary>Fills the pool once from <c>InferencePool:Endpoints</c> (Aspire passes the replicas' addresses there).</summary>
internal sealed partial class StaticDiscovery(EndpointPool pool, IOptions<InferencePoolOptions> options, ILogger<StaticDiscovery> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoints = options.Value.Endpoints.Select(e => e.Trim()).Where(e => e.Length > 0).ToArray();
        pool.Replace(endpoints);
        LogStaticPool(logger, endpoints.Length, string.Join(", ", endpoints));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Static inference pool: {Count} endpoint(s): {Endpoints}")]
    private static partial void LogStaticPool(ILogger logger, int count, string endpoints);
}
