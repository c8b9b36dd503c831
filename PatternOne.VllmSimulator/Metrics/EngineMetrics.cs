using PatternOne.VllmSimulator.Engine;

namespace PatternOne.VllmSimulator.Metrics;

/// <summary>
/// The counters and histograms of one engine, in vLLM's units (seconds of the engine's virtual clock, tokens).
/// Written by the engine thread; <see cref="Version"/> changes on every write so exporters can cache their text.
/// </summary>
public sealed class EngineMetrics
{
    public EngineMetrics(int maxModelLen)
    {
        var tokenBuckets = Histogram.OneTwoFive(maxModelLen);
        RequestPromptTokens = new(tokenBuckets);
        RequestGenerationTokens = new(tokenBuckets);
        RequestParamsMaxTokens = new(tokenBuckets);
    }

    /// <summary>Increments on every change.</summary>
    public long Version { get; internal set; }

    public long PromptTokens { get; internal set; }
    public long GenerationTokens { get; internal set; }
    public long PrefixCacheQueries { get; internal set; }
    public long PrefixCacheHits { get; internal set; }
    public long Preemptions { get; internal set; }
    public long SuccessStop { get; internal set; }
    public long SuccessLength { get; internal set; }
    public long Aborted { get; internal set; }
    public long Steps { get; internal set; }

    public Histogram TimeToFirstToken { get; } = new(MetricNames.TtftBuckets);
    public Histogram InterTokenLatency { get; } = new(MetricNames.TokenLatencyBuckets);
    public Histogram RequestTimePerOutputToken { get; } = new(MetricNames.TokenLatencyBuckets);
    public Histogram E2eRequestLatency { get; } = new(MetricNames.RequestLatencyBuckets);
    public Histogram RequestQueueTime { get; } = new(MetricNames.RequestLatencyBuckets);
    public Histogram RequestInferenceTime { get; } = new(MetricNames.RequestLatencyBuckets);
    public Histogram RequestPrefillTime { get; } = new(MetricNames.RequestLatencyBuckets);
    public Histogram RequestDecodeTime { get; } = new(MetricNames.RequestLatencyBuckets);
    public Histogram RequestPromptTokens { get; }
    public Histogram RequestGenerationTokens { get; }
    public Histogram RequestParamsMaxTokens { get; }
    public Histogram IterationTokens { get; } = new(MetricNames.IterationTokenBuckets);

    internal void RecordFinished(EngineSequence sequence)
    {
        var finish = sequence.FinishTime!.Value;
        var firstToken = sequence.FirstTokenTime!.Value;
        var scheduled = sequence.FirstScheduled!.Value;
        E2eRequestLatency.Observe((finish - sequence.Arrival).TotalSeconds);
        RequestQueueTime.Observe((scheduled - sequence.Arrival).TotalSeconds);
        RequestInferenceTime.Observe((finish - scheduled).TotalSeconds);
        RequestPrefillTime.Observe((firstToken - scheduled).TotalSeconds);
        RequestDecodeTime.Observe((finish - firstToken).TotalSeconds);
        RequestPromptTokens.Observe(sequence.PromptTokens);
        RequestGenerationTokens.Observe(sequence.OutputTokens);
        RequestParamsMaxTokens.Observe(sequence.Request.OutputTokens);
        if (sequence.OutputTokens > 1)
        {
            RequestTimePerOutputToken.Observe((finish - firstToken).TotalSeconds / (sequence.OutputTokens - 1));
        }

        if (sequence.FinishReason == FinishReason.Stop)
        {
            SuccessStop++;
        }
        else
        {
            SuccessLength++;
        }

        Version++;
    }
}
