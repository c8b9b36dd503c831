using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatternOne.Benchmarks.Hosting;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway;
using PatternOne.Gateway.Forwarding;
using PatternOne.Gateway.Observability;
using PatternOne.Gateway.Picking;
using PatternOne.Scheduler;

namespace PatternOne.Benchmarks.HotPaths;

/// <summary>
/// One ext_proc exchange as the gateway makes it, against the real scheduler service on loopback h2c:
/// <code>
///  gateway's ExtProcEndpointPickerClient ──headers, body──▶ scheduler (AddScheduler/MapScheduler, in this process)
///        ◀── destination header + streamed body ───     scrapes a fake replica's /metrics every 50 ms
///  response headers ──▶ ◀── header mutations; half-close
/// </code>
/// Both ends run in this process, so the figure is the CPU and loopback cost of one round trip, not network latency.
/// </summary>
[MemoryDiagnoser]
public class ExtProcRoundTripBenchmarks
{
    private WebApplication? _replica;
    private WebApplication? _scheduler;
    private ExtProcEndpointPickerClient? _picker;
    private ServiceProvider? _services;
    private GatewayPoolOptions _pool = new();
    private BufferedBody _body = BufferedBody.Empty;
    private KeyValuePair<string, string>[] _headers = [];
    private EndpointAddress _served = new("127.0.0.1", 1);

    /// <summary>Request body size: a short chat request, or one with a 16 KB prompt.</summary>
    [Params(256, 16384)]
    public int BodyBytes { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var replicaPort = ServiceProcess.FreePort();
        var page = PrometheusParseBenchmarks.VllmMetricsPage();
        var replicaBuilder = WebApplication.CreateSlimBuilder();
        replicaBuilder.WebHost.UseUrls($"http://127.0.0.1:{replicaPort}");
        replicaBuilder.Logging.ClearProviders();
        _replica = replicaBuilder.Build();
        _replica.MapGet("/metrics", () => Results.Text(page, "text/plain; version=0.0.4"));
        await _replica.StartAsync();

        var extProcPort = ServiceProcess.FreePort();
        var builder = WebApplication.CreateBuilder();
        var settings = new SchedulerSettings
        {
            PoolName = "qwen2-3b-pattern1",
            Discovery = PatternOne.Scheduler.Discovery.DiscoveryMode.Static,
            Endpoints = [$"127.0.0.1:{replicaPort}"],
        }.ToConfiguration();
        settings["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration.AddInMemoryCollection((PatternOne.Scheduler.Hosting.EndpointPickerFlags.Plaintext with
        {
            GrpcPort = extProcPort,
            GrpcHealthPort = ServiceProcess.FreePort(),
            MetricsPort = ServiceProcess.FreePort(),
        }).ToConfiguration());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddBasicServiceDefaults();
        builder.AddScheduler();
        _scheduler = builder.Build();
        _scheduler.MapScheduler();
        await _scheduler.StartAsync();

        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _picker = new ExtProcEndpointPickerClient(TimeProvider.System, new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<ExtProcEndpointPickerClient>.Instance);
        _pool = new GatewayPoolOptions
        {
            Name = "qwen2-3b-pattern1",
            EndpointPicker = $"http://127.0.0.1:{extProcPort}",
            Endpoints = [$"127.0.0.1:{replicaPort}"],
            FailureMode = FailureMode.FailClose,
        };
        _served = new EndpointAddress("127.0.0.1", replicaPort);
        var prompt = HotPathInputs.RandomText(new Random(3), Math.Max(16, BodyBytes - 120));
        var json = $$"""{"model":"Qwen/Qwen2.5-3B-Instruct","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":16}""";
        _body = BufferedBody.FromSegments([Encoding.UTF8.GetBytes(json)]);
        _headers =
        [
            new(":method", "POST"), new(":path", "/v1/chat/completions"), new(":authority", "127.0.0.1"), new(":scheme", "http"),
            new("content-type", "application/json"), new("content-length", _body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ];

        // Ready when a pick succeeds: the scheduler has discovered the endpoint and scraped it at least once.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var status = await RoundTripAsync();
            if (status == PickStatus.Picked)
            {
                break;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"the scheduler never picked (last status {status})");
            }

            // Polling the scheduler's readiness through its own protocol; nothing else signals "scraped".
            await Task.Delay(50);
        }
    }

    [Benchmark]
    public async Task<PickStatus> RoundTrip() => await RoundTripAsync();

    private async Task<PickStatus> RoundTripAsync()
    {
        var result = await _picker!.PickAsync(new PickRequest(_pool, _headers, _body), CancellationToken.None);
        if (result.Exchange is { } exchange)
        {
            await exchange.ResponseHeadersAsync(200, [new("content-type", "application/json")], _served, endOfStream: true, CancellationToken.None);
            await exchange.DisposeAsync();
        }

        return result.Status;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _picker?.Dispose();
        _scheduler?.StopAsync().GetAwaiter().GetResult();
        _replica?.StopAsync().GetAwaiter().GetResult();
        (_scheduler as IDisposable)?.Dispose();
        (_replica as IDisposable)?.Dispose();
        _services?.Dispose();
    }
}
