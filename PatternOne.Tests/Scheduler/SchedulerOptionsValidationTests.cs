using PatternOne.Scheduler;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Metrics;

namespace PatternOne.Tests.Scheduler;

public class SchedulerOptionsValidationTests
{
    [Fact]
    public void Defaults_AreValid()
    {
        Assert.True(new SchedulerOptionsValidator().Validate(null, new SchedulerOptions()).Succeeded);
        Assert.True(new InferencePoolOptionsValidator().Validate(null, new InferencePoolOptions()).Succeeded);
        Assert.True(new MetricsScrapeOptionsValidator().Validate(null, new MetricsScrapeOptions()).Succeeded);
    }

    [Theory]
    [InlineData(9002, 9002, 9090, "must differ")]
    [InlineData(0, 9003, 9090, "Scheduler:ExtProcPort must be a port number")]
    public void Ports_MustBeDistinctPortNumbers(int extProc, int health, int metrics, string expected)
    {
        var result = new SchedulerOptionsValidator().Validate(null, new SchedulerOptions { ExtProcPort = extProc, HealthPort = health, MetricsPort = metrics });

        Assert.Contains(result.Failures!, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownProfile_IsNamed()
    {
        var result = new SchedulerOptionsValidator().Validate(null, new SchedulerOptions { Profile = "fastest" });

        Assert.Contains(result.Failures!, f => f.Contains("'fastest' is not a built-in profile", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigFile_MustExistAndBeAValidConfig()
    {
        var missing = new SchedulerOptionsValidator().Validate(null, new SchedulerOptions { ConfigFile = "/nonexistent/epp.yaml" });
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "plugins: [{type: magic-scorer}]\nschedulingProfiles: [{name: p, plugins: []}]");
            var invalid = new SchedulerOptionsValidator().Validate(null, new SchedulerOptions { ConfigFile = path });

            Assert.Contains(missing.Failures!, f => f.Contains("does not exist", StringComparison.Ordinal));
            Assert.Contains(invalid.Failures!, f => f.Contains("unknown plugin type 'magic-scorer'", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:8000", true)]
    [InlineData("[::1]:8000", true)]
    [InlineData("vllm-0.svc:8000", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1:0", false)]
    [InlineData("127.0.0.1:99999", false)]
    [InlineData("http://127.0.0.1:8000", false)]
    public void StaticEndpoints_MustBeHostColonPort(string endpoint, bool valid)
    {
        var result = new InferencePoolOptionsValidator().Validate(null, new InferencePoolOptions { Endpoints = [endpoint] });

        Assert.Equal(valid, result.Succeeded);
    }

    [Fact]
    public void KubernetesDiscovery_NeedsASelector()
    {
        var result = new InferencePoolOptionsValidator().Validate(null, new InferencePoolOptions { Discovery = DiscoveryMode.Kubernetes });

        Assert.Contains(result.Failures!, f => f.Contains("InferencePool:Selector", StringComparison.Ordinal));
    }
}
