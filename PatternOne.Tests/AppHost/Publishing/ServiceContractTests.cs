using Microsoft.Extensions.Configuration;
using PatternOne.Gateway;
using PatternOne.Scheduler;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Hosting;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using PatternOne.ServiceDefaults.Shutdown;
using k8s.Models;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>
/// The published configuration is configuration the services accept: it binds to their options classes and passes
/// their own start-up validators, and the profile ConfigMap is the scheduler's built-in default.
/// </summary>
public sealed class ServiceContractTests : IDisposable
{
    private readonly string _files = Path.Combine(Path.GetTempPath(), "patternone-contract-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, V1ConfigMap> _configMaps =
        PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object).OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);
    private readonly Dictionary<string, V1Deployment> _deployments =
        PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object).OfType<V1Deployment>().ToDictionary(c => c.Metadata.Name);

    public ServiceContractTests() => Directory.CreateDirectory(_files);

    [Fact]
    public void ProfileConfigMap_LoadsAsTheDefaultPipeline()
    {
        // What the scheduler builds from the mounted file, not the file's text against its own embedded copy.
        var picker = (ProfileScheduler)SchedulerFactory.FromYaml(_configMaps["qwen2-3b-pattern1-epp-config"].Data["endpoint-picker.yaml"]);

        Assert.Equal(
            [("queue-scorer", 2.0), ("kv-cache-utilization-scorer", 2.0), ("prefix-cache-scorer", 3.0), ("prefill-load-scorer", 6.0)],
            picker.Scorers.Select(s => (s.Scorer.Type, s.Weight)));
        Assert.Equal("max-score-picker", picker.Picker.Type);
        Assert.NotNull(picker.Admission);
        Assert.Equal((5, 0.8), (picker.Admission.QueueDepthThreshold, picker.Admission.KvCacheUtilThreshold));
    }

    [Fact]
    public void SchedulerConfiguration_PassesTheSchedulersValidation()
    {
        var profile = Path.Combine(_files, "endpoint-picker.yaml");
        File.WriteAllText(profile, _configMaps["qwen2-3b-pattern1-epp-config"].Data["endpoint-picker.yaml"]);
        // The container's arguments, read by the scheduler's own parser, as Program.cs reads them.
        var args = _deployments["qwen2-3b-pattern1-kserve-router-scheduler"].Spec.Template.Spec.Containers.Single().Args;
        var commandLine = EndpointPickerCommandLine.Parse([.. args]);
        Assert.Empty(commandLine.RemainingArgs);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Environment(_configMaps["qwen2-3b-pattern1-kserve-router-scheduler-env"]))
            .AddInMemoryCollection(commandLine.Settings)
            // The file is mounted at --config-file in the pod; here it is a temporary copy.
            .AddInMemoryCollection([new($"{SchedulerOptions.SectionName}:{nameof(SchedulerOptions.ConfigFile)}", profile)])
            .Build();

        var scheduler = configuration.GetSection(SchedulerOptions.SectionName).Get<SchedulerOptions>()!;
        var pool = configuration.GetSection(InferencePoolOptions.SectionName).Get<InferencePoolOptions>()!;

        Assert.True(new SchedulerOptionsValidator().Validate(null, scheduler).Succeeded);
        Assert.True(new InferencePoolOptionsValidator().Validate(null, pool).Succeeded);
        Assert.Equal((9002, 9003, 9090), (scheduler.ExtProcPort, scheduler.HealthPort, scheduler.MetricsPort));
        Assert.Equal(DiscoveryMode.Kubernetes, pool.Discovery);
        Assert.Equal("qwen2-3b-pattern1", pool.Name);
        Assert.Equal("llm-d-inference-scheduling", pool.Namespace);
        Assert.Equal("workload", pool.Selector["kserve.io/component"]);
        Assert.Equal([8000], pool.ConfiguredSelection().TargetPorts);
        // Our gateway calls ext_proc in plaintext h2c inside the cluster; the drain is upstream's.
        Assert.False(scheduler.Tls.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(30), configuration.GetSection(SchedulerOptions.SectionName).Get<DrainOptions>()!.DrainTimeout);
    }

    [Fact]
    public void GatewayConfiguration_PassesTheGatewaysValidation()
    {
        var env = Environment(_configMaps["inference-gateway-istio-env"]);
        // cert-manager's Secret is mounted there in the pod; the validator only needs the files to exist.
        foreach (var key in new[] { GatewaySettings.Keys.TlsCertificatePath, GatewaySettings.Keys.TlsKeyPath })
        {
            var copy = Path.Combine(_files, Path.GetFileName(env[key]!));
            File.WriteAllText(copy, "");
            env[key] = copy;
        }

        var options = new ConfigurationBuilder().AddInMemoryCollection(env).Build()
            .GetSection(GatewayOptions.SectionName).Get<GatewayOptions>()!;

        var result = new GatewayOptionsValidator().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal((8080, 8443, 15021, 15090), (options.HttpPort, options.HttpsPort, options.StatusPort, options.MetricsPort));
        var pool = Assert.Single(options.Pools);
        Assert.Equal(FailureMode.FailOpen, pool.FailureMode);
        var route = Assert.Single(options.Routes);
        Assert.Equal(pool.Name, route.Pool);
        Assert.False(route.ExposeOperationalEndpoints);
    }

    /// <summary>ConfigMap data as the environment provider sees it: <c>A__B</c> is key <c>A:B</c>.</summary>
    private static Dictionary<string, string?> Environment(V1ConfigMap map) =>
        map.Data.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value);

    public void Dispose() => Directory.Delete(_files, recursive: true);
}
