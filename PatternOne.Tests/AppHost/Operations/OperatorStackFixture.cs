using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace PatternOne.Tests.AppHost.Operations;

/// <summary>The real AppHost with two simulated replicas, so a command can tell which one served.</summary>
public sealed class OperatorStackFixture : StackFixture
{
    protected override int Replicas => 2;

    /// <summary>Runs a dashboard command as the dashboard does, with named arguments.</summary>
    public async Task<ExecuteCommandResult> ExecuteAsync(string resource, string command, params (string Name, string Value)[] arguments)
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var inputs = new InteractionInputCollection([.. arguments.Select(a => new InteractionInput { Name = a.Name, InputType = InputType.Text, Value = a.Value })]);
        return await commands.ExecuteCommandAsync(resource, command, inputs, cancellation.Token).WaitAsync(StartTimeout, cancellation.Token);
    }

    /// <summary>Waits until <paramref name="resource"/>'s snapshot satisfies <paramref name="condition"/> and returns it.</summary>
    public async Task<CustomResourceSnapshot> WaitForSnapshotAsync(string resource, Func<CustomResourceSnapshot, bool> condition, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        var update = await notifications.WaitForResourceAsync(resource, e => condition(e.Snapshot), cancellation.Token).WaitAsync(timeout, cancellation.Token);
        return update.Snapshot;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OperatorStackCollection : ICollectionFixture<OperatorStackFixture>
{
    public const string Name = "Operator stack (two replicas)";
}
