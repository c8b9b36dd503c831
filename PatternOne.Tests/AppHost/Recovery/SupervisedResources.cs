using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using PatternOne.AppHost.Recovery;

namespace PatternOne.Tests.AppHost.Recovery;

/// <summary>What the recovery tests read of a running AppHost's resources: restart counts and the service processes.</summary>
public static class SupervisedResources
{
    /// <summary>How many times the AppHost has restarted <paramref name="resource"/> after an unexpected exit (its dashboard property).</summary>
    public static int Restarts(this DistributedApplication app, string resource) =>
        app.Property(resource, RecoveryProperties.Restarts) is { } value ? Convert.ToInt32(value, CultureInfo.InvariantCulture) : 0;

    /// <summary>The service process under the resource's <c>dotnet run</c> launcher (see <see cref="ServiceProcess"/>).</summary>
    public static Process ServiceOf(this DistributedApplication app, string resource)
    {
        var launcher = Convert.ToInt32(app.Property(resource, ServiceProcess.LauncherPidProperty)
            ?? throw new InvalidOperationException($"{resource} has no pid"), CultureInfo.InvariantCulture);
        return Process.GetProcessById(ServiceProcess.ChildrenOf(launcher).Single());
    }

    private static object? Property(this DistributedApplication app, string resource, string name) =>
        app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(resource, out var current)
            ? current.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value
            : null;
}
