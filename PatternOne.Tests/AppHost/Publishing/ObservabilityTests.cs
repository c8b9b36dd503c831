using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using PatternOne.AppHost.Publishing.Manifests;
using PatternOne.Tests.Scheduler;
using PatternOne.Tests.Simulator.Api;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>
/// The published monitoring: the Grafana dashboard queries only series our services (and vLLM) export, and the
/// PodMonitoring schema catches a misspelt field. What each topology's PodMonitorings select is in
/// <see cref="Topologies.TopologyObservabilityTests"/>.
/// </summary>
public sealed partial class ObservabilityTests : IAsyncLifetime
{
    private PublishRun _run = null!;

    public async Task InitializeAsync() => _run = await PublishRun.PublishAsync();

    public Task DisposeAsync()
    {
        _run.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public void PodMonitoringSchema_RejectsAMisspeltField()
    {
        var text = PublishRun.ReadFiles(_run.Directory)["observability/podmonitoring-vllm.yaml"].Replace("  endpoints:", "  endpoint:", StringComparison.Ordinal);

        Assert.NotEmpty(Topologies.CrdSchemaValidator.Validate(Assert.Single(Topologies.CrdSchemaValidator.ReadYaml(text))));
    }

    [Fact]
    public async Task GrafanaDashboard_ParsesAndQueriesOnlyExportedMetrics()
    {
        var configMap = _run.Objects().Select(o => o.Object).OfType<V1ConfigMap>().Single(c => c.Metadata.Name == ObservabilityComponent.DashboardConfigMap);
        Assert.Equal("1", configMap.Metadata.Labels[ObservabilityComponent.GrafanaDashboardLabel]);
        using var dashboard = JsonDocument.Parse(configMap.Data[ObservabilityComponent.DashboardFile]);
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)).ToList();
        var queried = expressions.SelectMany(e => MetricSelector().Matches(e).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        Assert.All(expressions, e => Assert.Matches(MetricSelector(), e));

        var exported = new HashSet<string>(StringComparer.Ordinal);
        await using (var simulator = await SimulatorServer.StartAsync())
        {
            AddSeriesNames(exported, await simulator.Client.GetStringAsync("/metrics"));
        }

        await using (var scheduler = await SchedulerTestHost.StartAsync(["127.0.0.1:1"]))
        {
            using var http = new HttpClient();
            AddSeriesNames(exported, await http.GetStringAsync($"http://127.0.0.1:{scheduler.MetricsPort}/metrics"));
        }

        Assert.Empty(queried.Except(exported));
        Assert.Contains("vllm:time_to_first_token_seconds_bucket", queried);
        Assert.Contains("vllm:prefix_cache_hits_total", queried);
        Assert.Contains("inference_extension_scheduler_attempts_total", queried);
        Assert.Contains("inference_objective_request_error_total", queried);
    }

    /// <summary>Every series name a page can carry: each family's samples, and a histogram's _bucket/_sum/_count.</summary>
    private static void AddSeriesNames(HashSet<string> names, string exposition)
    {
        foreach (var line in exposition.Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts is ["#", "TYPE", var family, var type])
            {
                names.Add(family);
                if (type == "histogram")
                {
                    names.UnionWith([family + "_bucket", family + "_sum", family + "_count"]);
                }
            }
        }
    }

    /// <summary>A metric name directly followed by its label matcher: <c>vllm:num_requests_waiting{</c>.</summary>
    [GeneratedRegex(@"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")]
    private static partial Regex MetricSelector();
}
