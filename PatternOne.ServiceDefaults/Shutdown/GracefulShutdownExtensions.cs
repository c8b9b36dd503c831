using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PatternOne.ServiceDefaults.Shutdown;

/// <summary>
/// One way for every service to stop on SIGTERM: <c>builder.AddGracefulShutdown(section, default, style)</c> binds
/// <c>&lt;section&gt;:DrainTimeout</c> (<see cref="DrainOptions"/>, validated on start), registers <see cref="DrainState"/>
/// for the request code, a <c>draining</c> readiness check, and raises the host's own stop budget
/// (<see cref="HostOptions.ShutdownTimeout"/>, .NET's <c>shutdownTimeoutSeconds</c> setting) to cover the drain.
/// </summary>
public static class GracefulShutdownExtensions
{
    /// <summary>
    /// What the host gets beyond the drain timeout before it abandons what is left: time for in-flight work to end
    /// at the deadline (an error event, a status) and for telemetry to flush (<see cref="TelemetryFlushOnStop"/>).
    /// </summary>
    public static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(5);

    /// <param name="builder">The service's host builder.</param>
    /// <param name="sectionName">The service's own configuration section; its <c>DrainTimeout</c> key is read. Null: only <paramref name="defaultDrainTimeout"/>.</param>
    /// <param name="defaultDrainTimeout">The drain when the section does not set one.</param>
    /// <param name="style">What the drain means for this service.</param>
    public static TBuilder AddGracefulShutdown<TBuilder>(this TBuilder builder, string? sectionName, TimeSpan defaultDrainTimeout, DrainStyle style)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var drain = services.AddOptions<DrainOptions>().Configure(options => options.DrainTimeout = defaultDrainTimeout);
        if (sectionName is not null)
        {
            drain.BindConfiguration(sectionName);
        }

        drain.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DrainOptions>, DrainOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DrainState>();
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<GracefulShutdown>(provider, style));
        services.AddHealthChecks().AddCheck<DrainingHealthCheck>(DrainingHealthCheck.Name);

        // The platform's knob stays the one knob of the host's stop: it is raised (never lowered) to cover the drain.
        services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>((host, drainOptions) =>
        {
            var needed = drainOptions.Value.DrainTimeout + StopMargin;
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        return builder;
    }
}
