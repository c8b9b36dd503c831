using Microsoft.Extensions.Logging;

namespace PatternOne.AppHost.Operations;

/// <summary>Reads a resource's Prometheus page; shared by the live state and the commands that report which replica served.</summary>
internal sealed partial class MetricsReader(ILogger<MetricsReader> logger) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1), PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>The samples of <c>/metrics</c> on <paramref name="endpoint"/>, or null when it cannot be read now.</summary>
    public async Task<PrometheusSamples?> ReadAsync(EndpointReference endpoint, CancellationToken cancellationToken)
    {
        if (!endpoint.IsAllocated)
        {
            return null;
        }

        try
        {
            var text = await _http.GetStringAsync(new Uri(new Uri(endpoint.Url), "/metrics"), cancellationToken);
            return PrometheusSamples.Parse(text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Not started yet, stopped from the dashboard, or restarting.
            LogReadFailed(logger, endpoint.Resource.Name, ex.Message);
            return null;
        }
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Could not read the metrics of {Resource}: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string resource, string reason);
}
