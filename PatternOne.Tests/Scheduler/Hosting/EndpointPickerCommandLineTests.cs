using PatternOne.Scheduler.Hosting;

namespace PatternOne.Tests.Scheduler.Hosting;

public sealed class EndpointPickerCommandLineTests
{
    [Theory]
    [InlineData(new[] { "--grpc-port", "9102" }, "Scheduler:ExtProcPort", "9102")]
    [InlineData(new[] { "--grpc-port=9102" }, "Scheduler:ExtProcPort", "9102")]
    [InlineData(new[] { "-grpc-health-port", "9103" }, "Scheduler:HealthPort", "9103")]
    [InlineData(new[] { "--metrics-port", "9190" }, "Scheduler:MetricsPort", "9190")]
    [InlineData(new[] { "--pool-name", "p" }, "InferencePool:Name", "p")]
    [InlineData(new[] { "--pool-name", "p" }, "InferencePool:Discovery", "InferencePool")]
    [InlineData(new[] { "--pool-namespace", "ns" }, "InferencePool:Namespace", "ns")]
    [InlineData(new[] { "--pool-group", "inference.networking.x-k8s.io" }, "InferencePool:Group", "inference.networking.x-k8s.io")]
    [InlineData(new[] { "--config-file", "/etc/x.yaml" }, "Scheduler:ConfigFile", "/etc/x.yaml")]
    [InlineData(new[] { "--config-text", "kind: EndpointPickerConfig" }, "Scheduler:ConfigText", "kind: EndpointPickerConfig")]
    [InlineData(new[] { "--cert-path", "/var/run/kserve/tls" }, "Scheduler:Tls:CertPath", "/var/run/kserve/tls")]
    [InlineData(new[] { "--model-server-metrics-scheme", "https" }, "Scheduler:Metrics:Scheme", "https")]
    [InlineData(new[] { "--drain-timeout", "1m30s" }, "Scheduler:DrainTimeout", "00:01:30")]
    [InlineData(new[] { "--drain-timeout=500ms" }, "Scheduler:DrainTimeout", "00:00:00.5000000")]
    [InlineData(new[] { "--endpoint-selector", "app=vllm, tier=tpu" }, "InferencePool:Selector:tier", "tpu")]
    [InlineData(new[] { "--endpoint-selector", "app=vllm" }, "InferencePool:Discovery", "Kubernetes")]
    [InlineData(new[] { "--endpoint-target-ports", "8000,8001" }, "InferencePool:TargetPorts:1", "8001")]
    public void Flag_SetsItsOption(string[] args, string key, string value)
    {
        var result = EndpointPickerCommandLine.Parse(args);

        Assert.Equal(value, result.Settings[key]);
        Assert.Empty(result.RemainingArgs);
    }

    [Theory]
    [InlineData(new[] { "--secure-serving" }, "true")]
    [InlineData(new[] { "--secure-serving=true" }, "true")]
    [InlineData(new[] { "--secure-serving=false" }, "false")]
    [InlineData(new[] { "--grpc-port", "9102" }, "true")]
    public void UpstreamCommandLine_SecureServingDefaultsToTrue_AsUpstream(string[] args, string expected)
    {
        var settings = EndpointPickerCommandLine.Parse(args).Settings;

        Assert.Equal(expected, settings["Scheduler:Tls:SecureServing"]);
        Assert.Equal("00:00:30", settings["Scheduler:DrainTimeout"]);
    }

    [Fact]
    public void BooleanFlag_DoesNotSwallowTheNextFlag()
    {
        var settings = EndpointPickerCommandLine.Parse(["--secure-serving", "--model-server-metrics-scheme", "https"]).Settings;

        Assert.Equal("true", settings["Scheduler:Tls:SecureServing"]);
        Assert.Equal("https", settings["Scheduler:Metrics:Scheme"]);
    }

    [Fact]
    public void NoUpstreamFlags_LeaveTheOptionsDefaults_AndDotnetArgumentsPassThrough()
    {
        var result = EndpointPickerCommandLine.Parse(["--Scheduler:Profile=random", "--InferencePool:Name", "p"]);

        Assert.Empty(result.Settings);
        Assert.Equal(["--Scheduler:Profile=random", "--InferencePool:Name", "p"], result.RemainingArgs);
    }

    [Fact]
    public void UpstreamLoggingFlags_AreAccepted()
    {
        var settings = EndpointPickerCommandLine.Parse(["--zap-encoder", "json", "--v=2", "--zap-devel", "--grpc-port", "9102"]).Settings;

        Assert.Equal("9102", settings["Scheduler:ExtProcPort"]);
        Assert.DoesNotContain(settings.Keys, k => k.Contains("zap", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "--pool-nmae", "p" }, "Unknown flag '--pool-nmae'")]
    [InlineData(new[] { "--grpc-port", "90000" }, "--grpc-port must be a port number")]
    [InlineData(new[] { "--grpc-port" }, "needs a value")]
    [InlineData(new[] { "--secure-serving=maybe" }, "is a boolean")]
    [InlineData(new[] { "--drain-timeout", "30 seconds" }, "must be a duration")]
    [InlineData(new[] { "--drain-timeout", "3d" }, "unknown unit")]
    [InlineData(new[] { "--model-server-metrics-scheme", "ftp" }, "must be http or https")]
    [InlineData(new[] { "--endpoint-selector", "app" }, "label=value pairs")]
    public void BadFlag_IsAClearError(string[] args, string message)
    {
        var error = Assert.Throws<FormatException>(() => EndpointPickerCommandLine.Parse(args));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
