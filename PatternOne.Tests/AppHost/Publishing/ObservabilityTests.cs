using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using PatternOne.AppHost.Publishing.Manifests;
using PatternOne.Tests.Scheduler;
using PatternOne.Tests.Simulator.Api;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>
/// The published monitoring: GKE Managed Prometheus scrapes the pods and ports that serve metrics, and the Grafana
/// dashboard queries only series our services (and vLLM) export.
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

    [Theory]
    [InlineData("qwen2-3b-pattern1-vllm", "qwen2-3b-pattern1-kserve", 8000, "/metrics")]
    [InlineData("qwen2-3b-pattern1-epp", "qwen2-3b-pattern1-kserve-router-scheduler", 9090, "/metrics")]
    [InlineData("inference-gateway", "inference-gateway-istio", 15090, "/stats/prometheus")]
    public void PodMonitoring_SelectsExactlyItsWorkload_OnItsMetricsPort(string monitoring, string workload, int port, string path)
    {
        var objects = _run.Objects().Select(o => o.Object).ToList();
        var podMonitoring = objects.OfType<PodMonitoring>().Single(m => m.Metadata.Name == monitoring);

        var selected = objects.OfType<V1Deployment>()
            .Where(d => d.Metadata.NamespaceProperty == podMonitoring.Metadata.NamespaceProperty
                && podMonitoring.Spec.Selector.MatchLabels.All(l => d.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .ToList();
        Assert.Equal([workload], selected.Select(d => d.Metadata.Name));

        var endpoint = Assert.Single(podMonitoring.Spec.Endpoints);
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), endpoint.Port.Value);
        Assert.Equal(path, endpoint.Path);
        Assert.Contains(selected[0].Spec.Template.Spec.Containers.SelectMany(c => c.Ports ?? []), p => p.ContainerPort == port);
    }

    [Fact]
    public void PodMonitorings_AreValidAgainstTheirCrd()
    {
        var files = PublishRun.ReadFiles(_run.Directory).Where(f => f.Key.StartsWith("observability/podmonitoring-", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, files.Count);
        foreach (var (file, text) in files)
        {
            var document = Assert.Single(Topologies.CrdSchemaValidator.ReadYaml(text));
            Assert.Empty(Topologies.CrdSchemaValidator.Validate(document).Select(e => $"{file}: {e}"));
        }
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
