using Microsoft.Extensions.Time.Testing;
using PatternOne.Scheduler.Metrics;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Metrics;

public sealed class EndpointStateTests
{
    [Fact]
    public void RoutedSinceScrape_CountsOnlyRequestsTheScrapeCannotHaveSeen()
    {
        var endpoint = new EndpointState("10.0.0.1:8000", new EndpointStateSettings { TimeProvider = new FakeTimeProvider(Now) });
        endpoint.Metrics = new EndpointMetrics { WaitingRequests = 2, ScrapedAt = Now };
        endpoint.RequestStarted();
        endpoint.RequestStarted();
        var mark = endpoint.BeginScrape();
        endpoint.RequestStarted(); // routed while the scrape was on its way

        Assert.Equal(3, endpoint.ToSnapshot().RoutedSinceScrape);
        endpoint.Publish(new EndpointMetrics { WaitingRequests = 4, ScrapedAt = Now }, mark);

        var snapshot = endpoint.ToSnapshot();
        Assert.Equal(1, snapshot.RoutedSinceScrape);
        Assert.Equal(5, snapshot.QueueEstimate);
        Assert.Equal(3, snapshot.InFlightRequests);
    }

    [Fact]
    public void RoutedSinceScrape_WhenTheNextScrapeIsLate_ForgetsRoutesOlderThanOneScrapeInterval()
    {
        var time = new FakeTimeProvider(Now);
        var endpoint = new EndpointState("10.0.0.1:8000", new EndpointStateSettings { TimeProvider = time, RoutedWindow = TimeSpan.FromMilliseconds(50) });
        endpoint.Metrics = new EndpointMetrics { WaitingRequests = 1, ScrapedAt = Now };
        endpoint.RequestStarted();
        endpoint.RequestStarted();
        time.Advance(TimeSpan.FromMilliseconds(40));
        endpoint.RequestStarted();
        Assert.Equal(3, endpoint.ToSnapshot().RoutedSinceScrape);

        // No scrape for 300 ms: the first two were routed over one interval ago and no longer count as waiting.
        time.Advance(TimeSpan.FromMilliseconds(20));
        var snapshot = endpoint.ToSnapshot();
        Assert.Equal(1, snapshot.RoutedSinceScrape);
        Assert.Equal(2, snapshot.QueueEstimate);
        time.Advance(TimeSpan.FromMilliseconds(280));
        Assert.Equal(0, endpoint.ToSnapshot().RoutedSinceScrape);
        Assert.Equal(3, endpoint.ToSnapshot().InFlightRequests);
    }

    [Fact]
    public void InFlightRequest_CompletesOnce_AndALeakedOneExpiresAfterTheTtl()
    {
        var time = new FakeTimeProvider(Now);
        var endpoint = new EndpointState("10.0.0.1:8000", new EndpointStateSettings { TimeProvider = time, InFlightTtl = TimeSpan.FromMinutes(1) });
        var finished = endpoint.RequestStarted();
        time.Advance(TimeSpan.FromSeconds(30));
        endpoint.RequestStarted(); // its completion is never reported

        finished.Complete();
        finished.Complete();
        Assert.Equal(1, endpoint.InFlightRequests);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, endpoint.InFlightRequests);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, endpoint.InFlightRequests);
    }

    [Theory]
    [InlineData(0, ScrapeHealth.Pending)]
    [InlineData(2, ScrapeHealth.Pending)]
    [InlineData(3, ScrapeHealth.Failing)]
    public void Health_BeforeAnyScrapeSucceeded(int failures, ScrapeHealth expected)
    {
        var endpoint = new EndpointState("10.0.0.1:8000");
        for (var i = 0; i < failures; i++)
        {
            endpoint.RecordScrapeFailure();
        }

        Assert.Equal(expected, endpoint.Health);
        endpoint.Metrics = new EndpointMetrics { ScrapedAt = Now };
        Assert.Equal(ScrapeHealth.Healthy, endpoint.Health);
    }
}
