using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatternOne.AppHost.Recovery;
using PatternOne.Tests.Gateway;

namespace PatternOne.Tests.AppHost.Recovery;

/// <summary>
/// A replica or the scheduler killed outright (SIGKILL, as the OOM killer or a crash ends it) comes back by itself;
/// one stopped from the dashboard stays stopped. The process killed is the service itself, not the <c>dotnet run</c>
/// launcher the dashboard's pid names (see <see cref="ServiceProcess"/>).
/// </summary>
[Collection(FailOpenStackCollection.Name)]
public sealed class LocalRecoveryTests(FailOpenStack stack)
{
    [Fact]
    public async Task ReplicaKilled_IsRestarted_WhileAReplicaStoppedFromTheDashboardStaysStopped()
    {
        var victim = stack.ReplicaNames[1];
        var stopped = stack.ReplicaNames[0];
        var before = Restarts(victim);
        var service = ServiceOf(victim);

        await stack.StopResourceAsync(stopped);
        service.Kill();

        await Eventually.HoldsAsync(() => Restarts(victim) > before, StackFixture.StartTimeout, $"{victim} is restarted");
        await Notifications.WaitForResourceHealthyAsync(victim).WaitAsync(StackFixture.StartTimeout);
        Assert.NotEqual(service.Id, ServiceOf(victim).Id);
        using var direct = new HttpClient { BaseAddress = stack.GetEndpoint(victim, "http"), Timeout = StackFixture.RequestTimeout };
        using var response = await direct.PostAsJsonAsync("/v1/completions", new { model = StackFixture.Model, prompt = "back?", max_tokens = 2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Restarted after a 1 s backoff; the stopped one, given the same chance, is still stopped.
        Assert.True(Notifications.TryGetCurrentState(stopped, out var current));
        Assert.Contains(current.Snapshot.State?.Text, KnownResourceStates.TerminalStates);
        Assert.Equal(0, Restarts(stopped));
        await stack.StartResourceAsync(stopped);
    }

    [Fact]
    public async Task SchedulerKilled_IsRestarted_AndTheGatewayPicksThroughItAgain()
    {
        var before = Restarts("scheduler");

        ServiceOf("scheduler").Kill();

        await Eventually.HoldsAsync(() => Restarts("scheduler") > before, StackFixture.StartTimeout, "the scheduler is restarted");
        await Notifications.WaitForResourceHealthyAsync("scheduler").WaitAsync(StackFixture.StartTimeout);
        await stack.WaitForHealthAsync("gateway", HealthStatus.Healthy);
    }

    private DistributedApplication App => stack.App;

    private ResourceNotificationService Notifications => App.Services.GetRequiredService<ResourceNotificationService>();

    private int Restarts(string resource) => App.Restarts(resource);

    private Process ServiceOf(string resource) => App.ServiceOf(resource);
}
