using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PatternOne.AppHost.Operations;

namespace PatternOne.Tests.AppHost.Operations;

/// <summary>Each dashboard command runs and has its effect on the running stack.</summary>
[Collection(OperatorStackCollection.Name)]
public sealed class OperatorCommandsTests(OperatorStackFixture stack)
{
    // Several 16-token blocks, so a repeat can hit the prefix cache.
    private static readonly string s_prompt = string.Concat(Enumerable.Repeat("Operators like dashboards that tell the truth. ", 10));

    private async Task<(HttpStatusCode Status, int CachedTokens)> AskReplicaAsync(string replica)
    {
        using var client = new HttpClient { BaseAddress = stack.GetEndpoint(replica, "http"), Timeout = StackFixture.RequestTimeout };
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = StackFixture.Model,
            messages = new[] { new { role = "user", content = s_prompt } },
            max_tokens = 2,
        });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, -1);
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task SendTestChat_RepliesAndNamesTheReplicaThatServed()
    {
        var result = await stack.ExecuteAsync("gateway", OperatorBuilderExtensions.SendTestChatCommand);

        Assert.True(result.Success, result.Message);
        Assert.Matches($@"^Served by {StackFixture.PoolName}-[01]: \S", result.Message);
        Assert.Contains("\"choices\"", result.Data?.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunLoad_SendsAtTheRateForTheTime_AndSummarises()
    {
        var result = await stack.ExecuteAsync("gateway", OperatorBuilderExtensions.RunLoadCommand,
            (OperatorBuilderExtensions.RateArgument, "4"), (OperatorBuilderExtensions.DurationArgument, "3"));

        // Every request is sent and accounted for; on a busy machine the default profile may refuse some as saturated
        // (stale metrics count as saturated), so the test checks the accounting, not that all 12 succeed.
        Assert.True(result.Success, result.Message);
        Assert.Matches(@"^12 requests at 4/s for 3 s: \d+ OK \(", result.Message);
        var counts = System.Text.RegularExpressions.Regex.Matches(result.Message!, @"(\d+) × (\d{3}|no answer)").Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(12, counts);
        Assert.Contains("Served by: " + StackFixture.PoolName + "-", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetPrefixCache_TheNextIdenticalRequestHasNoCachedTokens()
    {
        var replica = stack.ReplicaNames[1];
        await AskReplicaAsync(replica);
        Assert.True((await AskReplicaAsync(replica)).CachedTokens > 0, "a repeated prompt hits the prefix cache");

        var result = await stack.ExecuteAsync(replica, OperatorBuilderExtensions.ResetPrefixCacheCommand);

        Assert.True(result.Success, result.Message);
        Assert.Equal((HttpStatusCode.OK, 0), await AskReplicaAsync(replica));
    }

    [Fact]
    public async Task InjectFault_MakesTheReplicaFail_AndNoneClearsIt()
    {
        var replica = stack.ReplicaNames[0];
        try
        {
            var inject = await stack.ExecuteAsync(replica, OperatorBuilderExtensions.InjectFaultCommand,
                (OperatorBuilderExtensions.FaultKindArgument, "error"), (OperatorBuilderExtensions.FailureRateArgument, "100"));
            Assert.True(inject.Success, inject.Message);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await AskReplicaAsync(replica)).Status);
        }
        finally
        {
            var clear = await stack.ExecuteAsync(replica, OperatorBuilderExtensions.InjectFaultCommand,
                (OperatorBuilderExtensions.FaultKindArgument, "none"), (OperatorBuilderExtensions.FailureRateArgument, "0"));
            Assert.True(clear.Success, clear.Message);
        }

        Assert.Equal(HttpStatusCode.OK, (await AskReplicaAsync(replica)).Status);
    }

    [Fact]
    public async Task SwitchProfile_ChangesTheProfileTheSchedulerReports_WithoutARestart()
    {
        using var http = new HttpClient { Timeout = StackFixture.RequestTimeout };
        var metrics = new Uri(stack.GetEndpoint("scheduler", "metrics"), "/metrics");
        Assert.Contains("profile=\"default\"", await http.GetStringAsync(metrics), StringComparison.Ordinal);
        try
        {
            var result = await stack.ExecuteAsync("scheduler", OperatorBuilderExtensions.SwitchProfileCommand,
                (OperatorBuilderExtensions.ProfileArgument, "least-queue"));

            Assert.True(result.Success, result.Message);
            var text = await http.GetStringAsync(metrics);
            Assert.Contains("inference_extension_info{commit=\"dev\",build_ref=\"patternone\",profile=\"least-queue\"} 1", text, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await AskReplicaViaGatewayAsync()).StatusCode);
        }
        finally
        {
            Assert.True((await stack.ExecuteAsync("scheduler", OperatorBuilderExtensions.SwitchProfileCommand,
                (OperatorBuilderExtensions.ProfileArgument, "default"))).Success);
        }
    }

    [Fact]
    public async Task SwitchProfile_UnknownProfile_FailsWithTheList()
    {
        var result = await stack.ExecuteAsync("scheduler", OperatorBuilderExtensions.SwitchProfileCommand, (OperatorBuilderExtensions.ProfileArgument, "fastest"));

        Assert.False(result.Success);
        Assert.False(string.IsNullOrEmpty(result.Message));
    }

    [Fact]
    public void SwitchProfile_OffersExactlyTheSchedulersBuiltInProfiles() =>
        Assert.Equal(PatternOne.Scheduler.Profiles.BuiltInProfiles.Names, PatternOne.AppHost.Scheduling.SchedulerBuilderExtensions.BuiltInProfiles);

    private async Task<HttpResponseMessage> AskReplicaViaGatewayAsync()
    {
        var client = stack.CreateGatewayClient(https: false);
        return await client.PostAsJsonAsync("v1/chat/completions", new
        {
            model = StackFixture.Model,
            messages = new[] { new { role = "user", content = "Which profile picked me?" } },
            max_tokens = 2,
        });
    }
}
