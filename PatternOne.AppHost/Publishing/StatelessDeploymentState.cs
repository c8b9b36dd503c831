// ASPIREPIPELINES002: the deployment-state API is experimental in Aspire 13.6; we replace it, see StatelessDeploymentState.
#pragma warning disable ASPIREPIPELINES002

using Aspire.Hosting.Pipelines;

namespace PatternOne.AppHost.Publishing;

/// <summary>
/// Keeps publishing a pure function of the app model, its configuration and the command line. Aspire saves every
/// parameter value to <c>~/.aspire/deployments/…</c> and, on the next publish, layers that file over the command
/// line — so a value passed once (<c>--Parameters:image-tag=0.2.0</c>) would silently stick to later publishes and
/// the committed <c>aspirate-output/</c> would depend on the machine. We deploy with kubectl, not <c>aspire deploy</c>,
/// so nothing needs that state: sections are handed out empty and never written.
/// </summary>
internal sealed class StatelessDeploymentState : IDeploymentStateManager
{
    public string? StateFilePath => null;

    public Task<DeploymentStateSection> AcquireSectionAsync(string sectionName, CancellationToken cancellationToken = default) =>
        Task.FromResult(new DeploymentStateSection(sectionName, [], 0));

    public Task<DeploymentStateSection> AcquireCurrentSectionAsync(string sectionName, CancellationToken cancellationToken = default) =>
        AcquireSectionAsync(sectionName, cancellationToken);

    public Task SaveSectionAsync(DeploymentStateSection section, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task DeleteSectionAsync(DeploymentStateSection section, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task ClearAllStateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

}
