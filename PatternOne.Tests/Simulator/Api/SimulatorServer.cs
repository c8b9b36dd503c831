using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatternOne.VllmSimulator;
using PatternOne.VllmSimulator.Options;

namespace PatternOne.Tests.Simulator.Api;

/// <summary>A simulator hosted in-process on Kestrel at a free loopback port (real HTTP, real disconnects).</summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;

    private SimulatorServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a simulator with flags as on the command line (plus a port of 0 and a fast clock unless given).</summary>
    public static async Task<SimulatorServer> StartAsync(params string[] flags)
    {
        var parsed = SimulatorCommandLine.Parse(["--host", "127.0.0.1", "--time-scale", "50", .. flags]);
        Assert.Empty(parsed.Errors);
        var options = parsed.Options with { Port = 0 };
        var app = SimulatorHost.CreateBuilder(options, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning)).Build();
        app.MapVllmSimulator();
        await app.StartAsync().WaitAsync(Timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorServer(app, new Uri(address));
    }

    /// <summary>One sample of the <c>/metrics</c> text, e.g. <c>vllm:num_requests_running</c>.</summary>
    public async Task<double> MetricAsync(string name, string? labelFragment = null)
    {
        var text = await Client.GetStringAsync("/metrics").WaitAsync(Timeout);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && (labelFragment is null || line.Contains(labelFragment, StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"metric {name} {labelFragment} not found");
    }

    /// <summary>Polls a metric until <paramref name="condition"/> holds (state, not speed: the timeout only guards hangs).</summary>
    public async Task<double> WaitForMetricAsync(string name, Func<double, bool> condition, string? labelFragment = null)
    {
        var deadline = DateTime.UtcNow + Timeout;
        var seen = new HashSet<double>();
        while (true)
        {
            var value = await MetricAsync(name, labelFragment);
            seen.Add(value);
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} never met the condition; values seen: {string.Join(", ", seen)}");
            }

            await Task.Yield();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync().WaitAsync(Timeout);
        await _app.DisposeAsync();
    }
}
