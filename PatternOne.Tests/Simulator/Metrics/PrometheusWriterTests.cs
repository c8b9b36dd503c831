using PatternOne.ServiceDefaults.Prometheus;
using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Metrics;

namespace PatternOne.Tests.Simulator.Metrics;

public class PrometheusWriterTests
{
    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(3.0, "3.0")]
    [InlineData(0.001, "0.001")]
    [InlineData(2560.0, "2560.0")]
    [InlineData(0.25, "0.25")]
    public void Format_MatchesPythonFloats(double value, string expected) => Assert.Equal(expected, PrometheusText.Format(value, PrometheusNumbers.Python));

    [Fact]
    public void OneTwoFiveBuckets_StopAtMaxModelLen()
    {
        Assert.Equal(new double[] { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000 }, Histogram.OneTwoFive(2048).ToArray());
    }

    [Fact]
    public void Histogram_IsCumulativeOnExport()
    {
        var engine = EngineFactory.Create(new EngineOptions { MaxModelLen = 1024 });
        engine.Submit(new GenerationRequest { RequestId = "a", PromptTokenIds = [1, 2, 3], OutputTokens = 3 });
        engine.RunUntilIdle();

        var text = new PrometheusWriter("m", engine.Options).Write(engine.Snapshot(), engine.Metrics);

        // Two inter-token gaps of ≈9.08 ms: ≤ 0.01 s bucket holds both, and every later bucket too.
        Assert.Contains("vllm:inter_token_latency_seconds_bucket{engine=\"0\",model_name=\"m\",le=\"0.01\"} 2.0", text, StringComparison.Ordinal);
        Assert.Contains("vllm:inter_token_latency_seconds_bucket{engine=\"0\",model_name=\"m\",le=\"80.0\"} 2.0", text, StringComparison.Ordinal);
        Assert.Contains("vllm:inter_token_latency_seconds_count{engine=\"0\",model_name=\"m\"} 2.0", text, StringComparison.Ordinal);
        Assert.Contains("vllm:generation_tokens_total{engine=\"0\",model_name=\"m\"} 3.0", text, StringComparison.Ordinal);
    }
}
