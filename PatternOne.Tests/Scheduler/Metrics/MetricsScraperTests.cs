using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Metrics;
using PatternOne.Scheduler.Saturation;

namespace PatternOne.Tests.Scheduler.Metrics;

public sealed class MetricsScraperTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TestTimeouts.Request;
    private WebApplication _server = null!;
    private volatile string? _metricsText = "vllm:num_requests_waiting 3\nvllm:num_requests_running 1\nvllm:kv_cache_usage_perc 0.2\n";
    private int _scrapes;
    private readonly EndpointPool _pool = new();

    private string Address => _server.Urls.Single().Replace("http://", "", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/metrics", () =>
        {
            Interlocked.Increment(ref _scrapes);
            return _metricsText is { } text ? Results.Text(text) : Results.StatusCode(500);
        });
        await _server.StartAsync().WaitAsync(Timeout);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Scraper_PublishesEachEndpointsMetrics_AndFollowsChanges()
    {
        using var scraper = await StartScraperAsync();
        _pool.Replace([Address]);
        var endpoint = _pool.Endpoints.Single();

        await Eventually.HoldsAsync(() => endpoint.Metrics?.WaitingRequests == 3, Timeout, "the first scrape lands");
        Assert.Equal(1, endpoint.Metrics!.RunningRequests);
        Assert.Equal(0.2, endpoint.Metrics.KvCacheUsage);

        _metricsText = "vllm:num_requests_waiting 9\nvllm:num_requests_running 2\nvllm:kv_cache_usage_perc 0.7\n";
        await Eventually.HoldsAsync(() => endpoint.Metrics?.WaitingRequests == 9, Timeout, "a later scrape replaces the data");

        await scraper.StopAsync(CancellationToken.None).WaitAsync(Timeout);
    }

    [Fact]
    public async Task FailingScrapes_MakeTheEndpointUnhealthy_UntilAScrapeSucceedsAgain()
    {
        var stalenessCounts = new SaturationThresholds { StalenessPolicy = StalenessPolicy.Saturated };
        using var scraper = await StartScraperAsync();
        _pool.Replace([Address, "127.0.0.1:1"]);
        var endpoint = _pool.Find(Address)!;
        // Waited for, since a loaded machine may delay the first scrapes.
        await Eventually.HoldsAsync(() => endpoint.Health == ScrapeHealth.Healthy && !stalenessCounts.IsSaturated(endpoint.ToSnapshot(), TimeProvider.System.GetUtcNow()),
            Timeout, "fresh metrics count as capacity");
        await Eventually.HoldsAsync(() => _pool.Find("127.0.0.1:1")!.Health == ScrapeHealth.Failing, Timeout, "the unreachable endpoint is failing");
        Assert.Equal([Address], _pool.CandidateSnapshot().Select(e => e.Address));

        _metricsText = null;
        var lastGood = endpoint.Metrics!.ScrapedAt;

        await Eventually.HoldsAsync(() => endpoint.Health == ScrapeHealth.Failing, Timeout, "repeated failures make it unhealthy");
        // No scrape succeeded after the page went away (one already in flight may still have landed just after).
        Assert.InRange(endpoint.Metrics!.ScrapedAt, lastGood, lastGood.AddSeconds(1));
        // Every endpoint failing: the pool fails open rather than routing nowhere.
        Assert.Equal(2, _pool.CandidateSnapshot().Length);

        _metricsText = "vllm:num_requests_waiting 1\nvllm:num_requests_running 1\n";
        await Eventually.HoldsAsync(() => endpoint.Health == ScrapeHealth.Healthy, Timeout, "a successful scrape brings it back");
        Assert.Equal([Address], _pool.CandidateSnapshot().Select(e => e.Address));
        await scraper.StopAsync(CancellationToken.None).WaitAsync(Timeout);
    }

    [Fact]
    public async Task RemovedEndpoint_IsNoLongerScraped()
    {
        using var scraper = await StartScraperAsync();
        _pool.Replace([Address]);
        var endpoint = _pool.Endpoints.Single();
        await Eventually.HoldsAsync(() => endpoint.Metrics is not null, Timeout, "the first scrape lands");
        Assert.Equal(1, scraper.ActiveLoops);

        _pool.Replace([]);

        Assert.True(endpoint.Removed.IsCancellationRequested);
        Assert.Empty(_pool.Endpoints);
        await Eventually.HoldsAsync(() => scraper.ActiveLoops == 0, Timeout, "the endpoint's scrape loop ends");
        await scraper.StopAsync(CancellationToken.None).WaitAsync(Timeout);
    }

    /// <summary>A scraper of <see cref="_pool"/> every 20 ms, started.</summary>
    private async Task<MetricsScraper> StartScraperAsync()
    {
        var scraper = new MetricsScraper(
            _pool,
            new SingleClientFactory(),
            Options.Create(new MetricsScrapeOptions { Interval = TimeSpan.FromMilliseconds(20) }),
            TimeProvider.System,
            NullLogger<MetricsScraper>.Instance);
        await scraper.StartAsync(CancellationToken.None).WaitAsync(Timeout);
        return scraper;
    }

    private sealed class SingleClientFactory : IHttpClientFactory
    {
        private readonly HttpClient _client = new();

        public HttpClient CreateClient(string name) => _client;
    }
}
