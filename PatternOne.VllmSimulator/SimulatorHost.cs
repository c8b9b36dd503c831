using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PatternOne.ServiceDefaults.Shutdown;
using PatternOne.VllmSimulator.Api;
using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Faults;
using PatternOne.VllmSimulator.Options;
using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.VllmSimulator;

/// <summary>Builds the simulator's web application from parsed options (used by Program and by in-process tests).</summary>
public static partial class SimulatorHost
{
    /// <summary>A builder with the simulator's services; listens on <see cref="SimulatorOptions.Host"/>:<see cref="SimulatorOptions.Port"/>
    /// unless <paramref name="configure"/> replaces the server (e.g. with a TestServer).</summary>
    public static WebApplicationBuilder CreateBuilder(SimulatorOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // vLLM flags are parsed by SimulatorCommandLine; the generic command-line provider would choke on them.
            Args = [],
            ApplicationName = typeof(SimulatorHost).Assembly.GetName().Name,
        });
        builder.AddBasicServiceDefaults();
        builder.AddVllmSimulator(options);

        // Listen exactly where the flags say, whatever ASPNETCORE_URLS or launch settings say.
        builder.WebHost.UseUrls();
        configure?.Invoke(builder);
        return builder;
    }

    /// <summary>Registers the engine driver, tokenizer, fault injector, endpoints and the listener of <paramref name="options"/>.</summary>
    public static TBuilder AddVllmSimulator<TBuilder>(this TBuilder builder, SimulatorOptions options) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ITokenizer, ApproximateTokenizer>();
        services.AddSingleton<IFaultInjector, FaultInjector>();
        services.AddSingleton<EngineDriver>();
        services.AddSingleton<IEngineDriver>(sp => sp.GetRequiredService<EngineDriver>());
        services.AddHostedService(sp => sp.GetRequiredService<EngineDriver>());
        services.AddSingleton<InferenceEndpoint>();
        services.AddSingleton<ServerEndpoints>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, SimulatorKestrelSetup>();
        builder.AddGracefulShutdown(sectionName: null, options.ShutdownTimeout, DrainStyle.FinishInFlight);

        // Per-request hosting logs at Information would cost more than the simulated engine at load, and the
        // scheduler's 50 ms scrapes would drown everything else; traces still carry every request.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }

    /// <summary>Maps the API and logs the flags that were accepted but not modelled.</summary>
    public static WebApplication MapVllmSimulator(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PatternOne.VllmSimulator");
        foreach (var flag in options.IgnoredFlags)
        {
            LogIgnoredFlag(logger, flag);
        }

        LogServing(logger, options.Model, string.Join(' ', options.ServedModelNames), options.Host, options.Port, options.Engine.MaxModelLen);
        app.MapVllmApi();
        return app;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Ignoring vLLM flag {Flag}: the simulator does not model it")]
    private static partial void LogIgnoredFlag(ILogger logger, string flag);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Simulating vLLM serving {Model} as '{ServedModelNames}' on {Host}:{Port} (max-model-len {MaxModelLen})")]
    private static partial void LogServing(ILogger logger, string model, string servedModelNames, string host, int port, int maxModelLen);

    /// <summary>One listener, exactly where <c>--host</c>/<c>--port</c> say.</summary>
    private sealed class SimulatorKestrelSetup(IOptions<SimulatorOptions> options) : IConfigureOptions<KestrelServerOptions>
    {
        public void Configure(KestrelServerOptions kestrel)
        {
            var simulator = options.Value;
            if (simulator.Host is "localhost")
            {
                kestrel.ListenLocalhost(simulator.Port);
            }
            else if (simulator.Host is "" or "*")
            {
                kestrel.ListenAnyIP(simulator.Port);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(simulator.Host), simulator.Port);
            }
        }
    }
}
