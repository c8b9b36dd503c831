using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatternOne.Scheduler;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Hosting;
using PatternOne.Scheduler.Metrics;

namespace PatternOne.Tests.Scheduler;

/// <summary>The real scheduler composition (AddScheduler/MapScheduler) on Kestrel, loopback ports chosen free.</summary>
internal sealed class SchedulerTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TestTimeouts.Request;

    private SchedulerTestHost(WebApplication app, int extProc, int health, int metrics, FakeTimeProvider time)
    {
        App = app;
        ExtProcPort = extProc;
        HealthPort = health;
        MetricsPort = metrics;
        Time = time;
    }

    public WebApplication App { get; }

    public int ExtProcPort { get; }

    public int HealthPort { get; }

    public int MetricsPort { get; }

    public FakeTimeProvider Time { get; }

    public EndpointPool Pool => App.Services.GetRequiredService<EndpointPool>();

    public static async Task<SchedulerTestHost> StartAsync(IEnumerable<string> endpoints, IDictionary<string, string?>? extra = null)
    {
        var ports = FreePorts(3);
        // The ports as upstream's flags, read by the scheduler's own parser (plaintext, no drain: the test's client
        // speaks h2c); the static endpoint list has no flag.
        var settings = new Dictionary<string, string?>((EndpointPickerFlags.Plaintext with
        {
            GrpcPort = ports[0],
            GrpcHealthPort = ports[1],
            MetricsPort = ports[2],
        }).ToConfiguration(), StringComparer.Ordinal);
        foreach (var (key, value) in new SchedulerSettings { Endpoints = [.. endpoints] }.ToConfiguration())
        {
            settings[key] = value;
        }

        settings["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton(new Random(17));
        builder.Services.AddHealthChecks();
        builder.AddScheduler();
        var app = builder.Build();
        app.MapScheduler();
        await app.StartAsync().WaitAsync(Timeout);
        return new SchedulerTestHost(app, ports[0], ports[1], ports[2], time);
    }

    /// <summary>Gives every endpoint fresh metrics as of the fake clock (the test's stand-in for a scrape).</summary>
    public void SetMetrics(int waiting = 0, double kv = 0.1)
    {
        foreach (var endpoint in Pool.Endpoints)
        {
            endpoint.Metrics = new EndpointMetrics { WaitingRequests = waiting, KvCacheUsage = kv, ScrapedAt = Time.GetUtcNow() };
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(Timeout);
        await App.DisposeAsync();
    }

    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var listener in listeners)
        {
            listener.Start();
        }

        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var listener in listeners)
        {
            listener.Stop();
        }

        return ports;
    }
}
