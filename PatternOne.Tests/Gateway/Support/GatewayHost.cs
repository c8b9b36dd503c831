using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PatternOne.Gateway;
using PatternOne.Gateway.Listeners;

namespace PatternOne.Tests.Gateway.Support;

/// <summary>The real gateway (Program.cs's composition) on loopback ports chosen by the OS.</summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    public const string Prefix = "/llm-d-inference-scheduling/qwen2-3b-pattern1";
    public const string Pool = "qwen2-3b-pattern1";

    private GatewayHost(WebApplication app)
    {
        App = app;
        var listeners = app.Services.GetRequiredService<GatewayListeners>();
        HttpPort = listeners.PortOf(ListenerKind.Http) ?? throw new InvalidOperationException("no HTTP listener");
        HttpsPort = listeners.PortOf(ListenerKind.Https);
        StatusPort = listeners.PortOf(ListenerKind.Status) ?? throw new InvalidOperationException("no status listener");
        MetricsPort = listeners.PortOf(ListenerKind.Metrics) ?? throw new InvalidOperationException("no metrics listener");
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TestTimeouts.Request };
    }

    public WebApplication App { get; }
    public int HttpPort { get; }
    public int? HttpsPort { get; }
    public int StatusPort { get; }
    public int MetricsPort { get; }

    /// <summary>Plain HTTP client for the gateway's public listener.</summary>
    public HttpClient Client { get; }

    /// <summary>Settings for one pool behind the seed's prefix; <paramref name="extra"/> overrides or adds keys.</summary>
    public static Dictionary<string, string?> Settings(string? picker, IEnumerable<string> endpoints, params (string Key, string? Value)[] extra)
    {
        var settings = new GatewaySettings
        {
            HttpPort = 0,
            HttpsPort = 0,
            StatusPort = 0,
            MetricsPort = 0,
            BindAddress = "127.0.0.1",
            Routes = [new GatewayRouteSettings(Prefix + "/", Pool)],
            Pools = [new GatewayPoolSettings(Pool) { EndpointPicker = picker, Endpoints = [.. endpoints], PickerTimeout = TimeSpan.FromSeconds(10) }],
            // Tests drive health by what they do; the periodic probe would race them.
            HealthCheckInterval = TimeSpan.Zero,
            // A test that leaves a stream open must not wait out the 30 s production drain in its dispose.
            DrainTimeout = TimeSpan.FromSeconds(2),
            // The start-up warm-up exchange would race the tests that count the picker's streams; PickerWarmupTests turn it on.
            PickerWarmupTimeout = TimeSpan.Zero,
        }.ToConfiguration();
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Starts the gateway; <paramref name="replaceServices"/> runs after its composition, for what a test must control.</summary>
    public static async Task<GatewayHost> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? replaceServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = "PatternOne.Gateway", EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("PATTERNONE_TEST_GATEWAY_LOGS") == "1")
        {
            builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Debug);
        }

        builder.AddBasicServiceDefaults();
        builder.AddGateway();
        replaceServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapGateway();
        await app.StartAsync().WaitAsync(TestTimeouts.Start);
        return new GatewayHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync().WaitAsync(TestTimeouts.Start);
        await App.DisposeAsync();
    }
}
