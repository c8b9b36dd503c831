using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PatternOne.AppHost.Inference;
using PatternOne.AppHost.Scheduling;

namespace PatternOne.AppHost.Recovery;

/// <summary>Local recovery like a cluster's: replicas and the scheduler come back when they exit on their own.</summary>
public static class RecoveryBuilderExtensions
{
    /// <summary>
    /// Restarts every pool replica and endpoint picker declared so far when its process exits unexpectedly (run mode
    /// only; in a cluster the kubelet does this). A stop from the dashboard is respected.
    /// </summary>
    public static IDistributedApplicationBuilder AddLocalRecovery(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        foreach (var replica in builder.Resources.OfType<VllmPoolResource>().SelectMany(p => p.ReplicaBuilders))
        {
            replica.WithAnnotation(new RestartPolicyAnnotation());
        }

        foreach (var picker in builder.Resources.OfType<ProjectResource>().Where(r => r.HasAnnotationOfType<EndpointPickerAnnotation>()))
        {
            picker.Annotations.Add(new RestartPolicyAnnotation());
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<RestartSupervisor>();
        return builder;
    }
}
