using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Hosting;

namespace PatternOne.Tests.Scheduler.Hosting;

/// <summary>
/// The typed writer of upstream's EPP flags writes what the scheduler's parser reads: every property lands in the
/// option it stands for, nothing unset is written, and upstream's defaults apply to what is left out.
/// </summary>
public sealed class EndpointPickerFlagsTests
{
    [Fact]
    public void EveryFlag_ReachesItsOption()
    {
        var flags = new EndpointPickerFlags
        {
            PoolNamespace = "ns",
            EndpointSelector = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "pool", ["kserve.io/component"] = "workload" },
            EndpointTargetPorts = [8000, 8001],
            GrpcPort = 9102,
            GrpcHealthPort = 9103,
            MetricsPort = 9190,
            ConfigFile = "/etc/epp.yaml",
            SecureServing = true,
            CertPath = "/var/run/tls",
            ModelServerMetricsScheme = "https",
            DrainTimeout = TimeSpan.FromMilliseconds(1500),
        };

        var settings = flags.ToConfiguration();

        Assert.Equal(new Dictionary<string, string?>
        {
            ["InferencePool:Namespace"] = "ns",
            ["InferencePool:Selector:app.kubernetes.io/name"] = "pool",
            ["InferencePool:Selector:kserve.io/component"] = "workload",
            ["InferencePool:Discovery"] = nameof(DiscoveryMode.Kubernetes),
            ["InferencePool:TargetPorts:0"] = "8000",
            ["InferencePool:TargetPorts:1"] = "8001",
            ["Scheduler:ExtProcPort"] = "9102",
            ["Scheduler:HealthPort"] = "9103",
            ["Scheduler:MetricsPort"] = "9190",
            ["Scheduler:ConfigFile"] = "/etc/epp.yaml",
            ["Scheduler:Tls:SecureServing"] = "true",
            ["Scheduler:Tls:CertPath"] = "/var/run/tls",
            ["Scheduler:Metrics:Scheme"] = "https",
            ["Scheduler:DrainTimeout"] = "00:00:01.5000000",
        }.OrderBy(kv => kv.Key, StringComparer.Ordinal), settings.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void PoolName_SelectsTheInferencePoolDiscovery()
    {
        var settings = new EndpointPickerFlags { PoolName = "p", PoolGroup = InferencePoolOptions.GroupV1Alpha2 }.ToConfiguration();

        Assert.Equal("p", settings["InferencePool:Name"]);
        Assert.Equal(nameof(DiscoveryMode.InferencePool), settings["InferencePool:Discovery"]);
        Assert.Equal(InferencePoolOptions.GroupV1Alpha2, settings["InferencePool:Group"]);
    }

    [Fact]
    public void UnsetFlags_AreNotWritten_AndUpstreamDefaultsApply()
    {
        var args = new EndpointPickerFlags { GrpcPort = 9102 }.ToArgs();
        var settings = new EndpointPickerFlags { GrpcPort = 9102 }.ToConfiguration();

        Assert.Equal(["--grpc-port", "9102"], args);
        Assert.Equal("true", settings["Scheduler:Tls:SecureServing"]);
        Assert.Equal("00:00:30", settings["Scheduler:DrainTimeout"]);
    }

    [Fact]
    public void Plaintext_TurnsOffTlsAndTheDrain()
    {
        Assert.Equal(["--secure-serving=false", "--drain-timeout", "0s"], EndpointPickerFlags.Plaintext.ToArgs());
        var settings = EndpointPickerFlags.Plaintext.ToConfiguration();

        Assert.Equal("false", settings["Scheduler:Tls:SecureServing"]);
        Assert.Equal("00:00:00", settings["Scheduler:DrainTimeout"]);
    }

    [Theory]
    [InlineData(30_000, "30s")]
    [InlineData(0, "0s")]
    [InlineData(1_500, "1500ms")]
    [InlineData(90_000, "90s")]
    public void Durations_AreWrittenAsGoReadsThem(int milliseconds, string expected)
    {
        var value = TimeSpan.FromMilliseconds(milliseconds);

        Assert.Equal(expected, EndpointPickerFlags.GoDuration(value));
        Assert.Equal(value, EndpointPickerCommandLine.GoDuration("drain-timeout", expected));
    }
}
