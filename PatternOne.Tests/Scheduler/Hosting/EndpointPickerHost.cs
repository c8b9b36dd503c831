using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PatternOne.Scheduler;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Hosting;

namespace PatternOne.Tests.Scheduler.Hosting;

/// <summary>
/// The scheduler started from a command line exactly as <c>Program.cs</c> starts it (upstream's EPP flags translated
/// into options, then AddScheduler/MapScheduler on Kestrel), with the Kubernetes client pointed at a test's fake API.
/// </summary>
internal sealed class EndpointPickerHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private EndpointPickerHost(WebApplication app) => App = app;

    public WebApplication App { get; }

    public EndpointPool Pool => App.Services.GetRequiredService<EndpointPool>();

    public static async Task<EndpointPickerHost> StartAsync(IReadOnlyList<string> args, Kubernetes kubernetes, TimeProvider? time = null)
    {
        var commandLine = EndpointPickerCommandLine.Parse(args);
        var builder = WebApplication.CreateBuilder([.. commandLine.RemainingArgs]);
        builder.Configuration.AddInMemoryCollection(commandLine.Settings);
        builder.Configuration.AddInMemoryCollection([new("Logging:LogLevel:Default", "Warning")]);
        builder.Services.AddSingleton(kubernetes);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddHealthChecks();
        builder.AddScheduler();
        var app = builder.Build();
        app.MapScheduler();
        await app.StartAsync().WaitAsync(Timeout);
        return new EndpointPickerHost(app);
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}
