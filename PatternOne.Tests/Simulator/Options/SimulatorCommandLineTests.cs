using PatternOne.VllmSimulator.Faults;
using PatternOne.VllmSimulator.Options;

namespace PatternOne.Tests.Simulator.Options;

public class SimulatorCommandLineTests
{
    [Fact]
    public void AppHostCommandLine_ParsesAndIgnoresUnmodelledFlags()
    {
        var result = SimulatorCommandLine.Parse([
            "--host", "127.0.0.1", "--port", "8123", "--model", "Qwen/Qwen2.5-3B-Instruct", "--served-model-name", "Qwen/Qwen2.5-3B-Instruct",
            "--dtype=half", "--max-model-len=2048", "--tensor-parallel-size=4", "--enable-prompt-tokens-details", "--time-scale", "10",
            "--disable-log-requests", "--gpu-memory-utilization", "0.9"]);

        Assert.Empty(result.Errors);
        var options = result.Options;
        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(8123, options.Port);
        Assert.Equal(2048, options.Engine.MaxModelLen);
        Assert.True(options.EnablePromptTokensDetails);
        Assert.Equal(10, options.TimeScale);
        Assert.Equal(["--dtype=half", "--tensor-parallel-size=4", "--disable-log-requests", "--gpu-memory-utilization=0.9"], options.IgnoredFlags);
    }

    [Fact]
    public void Defaults_MatchVllmOnTpuV6e()
    {
        var options = SimulatorCommandLine.Parse([]).Options;

        Assert.Equal("0.0.0.0", options.Host);
        Assert.Equal(8000, options.Port);
        Assert.Equal(SimulatorOptions.DefaultModel, options.Model);
        Assert.Equal([SimulatorOptions.DefaultModel], options.ServedModelNames);
        Assert.Equal(256, options.Engine.MaxNumSeqs);
        Assert.Equal(1024, options.Engine.MaxNumBatchedTokens);
        Assert.Equal(16, options.Engine.BlockSize);
        Assert.Equal(1.0, options.TimeScale);
        Assert.False(options.EnablePromptTokensDetails);
        Assert.Equal(0, options.Faults.FailureRate);
    }

    [Fact]
    public void LaterFlags_OverrideEarlierOnes()
    {
        var options = SimulatorCommandLine.Parse(["--time-scale", "50", "--max-num-seqs", "2", "--time-scale", "1", "--sim-fault-header", "--sim-slow-start-seconds", "0.01"]).Options;

        Assert.Equal(1, options.TimeScale);
        Assert.Equal(2, options.Engine.MaxNumSeqs);
        Assert.True(options.Faults.AllowHeader);
        Assert.Equal(0.01, options.Faults.SlowStartSeconds);
    }

    [Theory]
    [InlineData("2048", 2048)]
    [InlineData("2k", 2000)]
    [InlineData("2K", 2048)]
    public void MaxModelLen_AcceptsHumanReadableSizes(string value, int expected)
    {
        Assert.Equal(expected, SimulatorCommandLine.Parse(["--max-model-len", value]).Options.Engine.MaxModelLen);
    }

    [Fact]
    public void ServedModelName_TakesSeveralNamesAndPositionalModelWorks()
    {
        var options = SimulatorCommandLine.Parse(["my/model", "--served-model-name", "a", "b", "--port", "9000"]).Options;

        Assert.Equal("my/model", options.Model);
        Assert.Equal(["a", "b"], options.ServedModelNames);
        Assert.Equal(9000, options.Port);
    }

    [Theory]
    [InlineData("--port", "abc")]
    [InlineData("--port", "70000")]
    [InlineData("--max-num-seqs", "0")]
    [InlineData("--max-model-len", "-5")]
    [InlineData("--block-size", "x")]
    [InlineData("--time-scale", "0")]
    [InlineData("--time-scale", "fast")]
    [InlineData("--sim-failure-rate", "101")]
    [InlineData("--sim-failure-kinds", "explode")]
    [InlineData("--sim-unknown", "1")]
    [InlineData("--host", "not an address")]
    [InlineData("--num-gpu-blocks-override", "10")]
    public void BadValues_AreReportedClearly(string flag, string value)
    {
        var result = SimulatorCommandLine.Parse([flag, value]);

        Assert.NotEmpty(result.Errors);
        Assert.Contains(result.Errors, e => e.Contains(flag.TrimStart('-').Split('-')[0], StringComparison.Ordinal) || e.Contains("KV pool", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingValue_IsAnError()
    {
        Assert.NotEmpty(SimulatorCommandLine.Parse(["--port"]).Errors);
        Assert.NotEmpty(SimulatorCommandLine.Parse(["--port", "--max-model-len", "100"]).Errors);
    }

    [Fact]
    public void FaultFlags_Parse()
    {
        var faults = SimulatorCommandLine.Parse(["--sim-failure-rate", "12.5", "--sim-failure-kinds", "error,slow-start", "--sim-failure-status", "500"]).Options.Faults;

        Assert.Equal(12.5, faults.FailureRate);
        Assert.Equal([FaultKind.Error, FaultKind.SlowStart], faults.Kinds);
        Assert.Equal(500, faults.ErrorStatus);
    }
}
