using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;

namespace PatternOne.Scheduler.Metrics;

/// <summary>
/// One polling loop per endpoint: GET <c>/metrics</c> every interval, parse, publish an immutable
/// <see cref="EndpointMetrics"/>. A failed scrape publishes nothing and counts a failure: the last data ages (what
/// that means is the profile's staleness policy), and after <see cref="MetricsScrapeOptions.UnhealthyAfterFailures"/>
/// failures in a row the endpoint leaves the pool's candidates until a scrape succeeds again. A slow answer is not a
/// failure; only a refused, broken or timed-out one is.
/// </summary>
internal sealed partial class MetricsScraper(
    EndpointPool pool,
    IHttpClientFactory httpClientFactory,
    IOptions<MetricsScrapeOptions> options,
    TimeProvider timeProvider,
    ILogger<MetricsScraper> logger) : BackgroundService
{
    public const string HttpClientName = "metrics-scraper";

    // Guards against two loops for one endpoint when it joins while the initial members are being started.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<EndpointState, byte> _running = new();

    /// <summary>Endpoints with a running scrape loop.</summary>
    internal int ActiveLoops => _running.Count;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        pool.EndpointAdded += endpoint => _ = ScrapeLoopAsync(endpoint, stoppingToken);
        foreach (var endpoint in pool.Endpoints)
        {
            _ = ScrapeLoopAsync(endpoint, stoppingToken);
        }

        return Task.CompletedTask;
    }

    private async Task ScrapeLoopAsync(EndpointState endpoint, CancellationToken stoppingToken)
    {
        if (!_running.TryAdd(endpoint, 0))
        {
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, endpoint.Removed);
        var settings = options.Value;
        var uri = new Uri($"{settings.Scheme}://{endpoint.Address}{settings.Path}");
        var client = httpClientFactory.CreateClient(HttpClientName);
        var failing = false;
        var body = new ScrapeBuffer();
        using var timer = new PeriodicTimer(settings.Interval, timeProvider);
        try
        {
            do
            {
                if (!await ScrapeOnceAsync(client, uri, endpoint, body, settings.Timeout, stop.Token))
                {
                    endpoint.RecordScrapeFailure();
                }

                var nowFailing = endpoint.Health == ScrapeHealth.Failing;
                if (nowFailing != failing)
                {
                    failing = nowFailing;
                    if (failing)
                    {
                        LogScrapeFailing(logger, endpoint.Address, endpoint.ConsecutiveScrapeFailures);
                    }
                    else
                    {
                        LogScrapeRecovered(logger, endpoint.Address);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stop.Token));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // endpoint removed or host stopping
        }
        finally
        {
            _running.TryRemove(endpoint, out _);
        }
    }

    private async Task<bool> ScrapeOnceAsync(HttpClient client, Uri uri, EndpointState endpoint, ScrapeBuffer body, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        try
        {
            var mark = endpoint.BeginScrape();
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(attempt.Token);
            var text = await body.ReadAsync(stream, attempt.Token);
            if (!PrometheusTextParser.TryParse(text.Span, timeProvider.GetUtcNow(), out var metrics))
            {
                return false;
            }

            endpoint.Publish(metrics, mark);
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>
    /// One endpoint's metrics page, read into the same array every scrape: a vLLM page is ~30 KB and is scraped 20
    /// times a second, and buffering it anew each time (content buffer, then a copy) was ~1.2 MB/s of garbage per
    /// endpoint, the scheduler's largest allocation at idle.
    /// </summary>
    private sealed class ScrapeBuffer
    {
        private byte[] _data = new byte[64 * 1024];

        public async Task<ReadOnlyMemory<byte>> ReadAsync(Stream stream, CancellationToken cancellationToken)
        {
            var length = 0;
            int read;
            while ((read = await stream.ReadAsync(_data.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
                if (length == _data.Length)
                {
                    Array.Resize(ref _data, _data.Length * 2);
                }
            }

            return _data.AsMemory(0, length);
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Scraping metrics of {Endpoint} failed {Failures} times in a row; it leaves the candidates until a scrape succeeds")]
    private static partial void LogScrapeFailing(ILogger logger, string endpoint, int failures);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Scraping metrics of {Endpoint} recovered; it is a candidate again")]
    private static partial void LogScrapeRecovered(ILogger logger, string endpoint);
}
