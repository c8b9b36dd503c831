using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PatternOne.VllmSimulator.Metrics;
using PatternOne.VllmSimulator.Options;

namespace PatternOne.VllmSimulator.Engine;

/// <summary>The HTTP host's view of its engine: submit, abort, observe. Thread-safe.</summary>
public interface IEngineDriver
{
    /// <summary>The engine's configuration.</summary>
    EngineOptions Options { get; }

    /// <summary>Queues a sequence; its tokens are written to <paramref name="sink"/> at the real time its step ends.</summary>
    EngineSequence Submit(GenerationRequest request, ChannelWriter<TokenEvent> sink);

    /// <summary>Aborts a sequence (client gone): frees its KV blocks. False if it already finished.</summary>
    bool Abort(string requestId);

    /// <summary>Gauges and counters now.</summary>
    EngineSnapshot Snapshot();

    /// <summary>Drops the prefix cache (vLLM's <c>POST /reset_prefix_cache</c>); false while requests hold KV blocks.</summary>
    bool ResetPrefixCache();

    /// <summary>The engine's <c>/metrics</c> text (cached until the engine changes).</summary>
    string MetricsText();
}

/// <summary>
/// Runs the engine in scaled real time, one step after another:
/// <code>
/// 1. sync the engine clock to now × time-scale (time spent outside steps counts as idle)
/// 2. Step(): schedule, advance the virtual clock by the modelled step time
/// 3. wait until real time reaches step end ÷ time-scale
/// 4. hand the step's tokens to their requests' channels
/// </code>
/// so TTFT and inter-token gaps seen by clients are the model's, divided by the time scale.
/// </summary>
internal sealed partial class EngineDriver : BackgroundService, IEngineDriver
{
    /// <summary>Waits shorter than this are skipped (timers are not finer); the engine runs that much ahead.</summary>
    private static readonly TimeSpan MinDelay = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// How far (in real time) the engine may fall behind the wall clock and still catch up by running steps back to
    /// back; beyond it the lost time is booked as idle. Keeps the average step rate right at high time scales, where
    /// a step is shorter than a timer tick.
    /// </summary>
    private static readonly TimeSpan CatchUp = TimeSpan.FromMilliseconds(20);

    private readonly EngineCore _engine;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, ChannelWriter<TokenEvent>> _sinks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _work = new(0);
    private readonly TimeProvider _time;
    private readonly ILogger<EngineDriver> _logger;
    private readonly double _timeScale;
    private readonly long _origin;
    private readonly PrometheusWriter _prometheus;
    private string _metricsText = string.Empty;
    private long _metricsVersion = -1;

    public EngineDriver(IOptions<SimulatorOptions> options, TimeProvider time, ILogger<EngineDriver> logger)
    {
        var simulator = options.Value;
        _engine = new EngineCore(simulator.Engine);
        _time = time;
        _logger = logger;
        _timeScale = simulator.TimeScale;
        _origin = time.GetTimestamp();
        _prometheus = new PrometheusWriter(simulator.ServedModelNames[0], simulator.Engine);
    }

    public EngineOptions Options => _engine.Options;

    public EngineSequence Submit(GenerationRequest request, ChannelWriter<TokenEvent> sink)
    {
        EngineSequence sequence;
        lock (_gate)
        {
            // An engine running behind the wall clock sees the request arrive on its own timeline, never in its future.
            var now = VirtualNow();
            var arrival = _engine.HasWork && _engine.Now < now ? _engine.Now : now;
            sequence = _engine.Submit(request with { ArrivalTime = arrival });
            _sinks[request.RequestId] = sink;
        }

        _work.Release();
        return sequence;
    }

    public bool Abort(string requestId)
    {
        bool aborted;
        lock (_gate)
        {
            aborted = _engine.Abort(requestId);
        }

        _sinks.TryRemove(requestId, out _);
        return aborted;
    }

    public EngineSnapshot Snapshot()
    {
        lock (_gate)
        {
            return _engine.Snapshot();
        }
    }

    public bool ResetPrefixCache()
    {
        lock (_gate)
        {
            return _engine.ResetPrefixCache();
        }
    }

    public string MetricsText()
    {
        lock (_gate)
        {
            if (_metricsVersion != _engine.Metrics.Version)
            {
                _metricsText = _prometheus.Write(_engine.Snapshot(), _engine.Metrics);
                _metricsVersion = _engine.Metrics.Version;
            }

            return _metricsText;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_timeScale, _engine.Options.MaxNumSeqs, _engine.Options.MaxNumBatchedTokens, _engine.Options.EffectiveNumGpuBlocks, _engine.Options.BlockSize);
        while (!stoppingToken.IsCancellationRequested)
        {
            StepResult? step;
            lock (_gate)
            {
                if (_engine.HasWork)
                {
                    _engine.StallUntil(VirtualNow() - (CatchUp * _timeScale));
                    try
                    {
                        step = _engine.Step();
                    }
                    catch (InvalidOperationException ex)
                    {
                        // A scheduling bug must not take the replica down silently: vLLM reports a dead engine as 503 on
                        // /health; here the stuck requests are aborted and the engine keeps serving new ones.
                        LogStepFailed(ex);
                        AbortAllLocked();
                        step = null;
                    }
                }
                else
                {
                    step = null;
                }
            }

            if (step is null)
            {
                await _work.WaitAsync(stoppingToken).ConfigureAwait(false);
                continue;
            }

            var wait = RealUntil(step.End);
            if (wait > MinDelay)
            {
                await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
            }

            Dispatch(step);
        }
    }

    private void AbortAllLocked()
    {
        foreach (var id in _sinks.Keys)
        {
            _engine.Abort(id);
            if (_sinks.TryRemove(id, out var sink))
            {
                sink.TryComplete(new InvalidOperationException("The engine failed to schedule this request."));
            }
        }
    }

    private void Dispatch(StepResult step)
    {
        foreach (var token in step.Tokens)
        {
            var id = token.Sequence.RequestId;
            if (token.IsFinal ? _sinks.TryRemove(id, out var sink) : _sinks.TryGetValue(id, out sink))
            {
                sink.TryWrite(token);
            }
        }
    }

    private TimeSpan VirtualNow() => _time.GetElapsedTime(_origin) * _timeScale;

    private TimeSpan RealUntil(TimeSpan virtualTime) => (virtualTime / _timeScale) - _time.GetElapsedTime(_origin);

    public override void Dispose()
    {
        _work.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Critical, Message = "Engine step failed; aborting every live request")]
    private partial void LogStepFailed(Exception exception);

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Engine running at time scale {TimeScale}: max-num-seqs {MaxNumSeqs}, max-num-batched-tokens {MaxNumBatchedTokens}, {NumGpuBlocks} KV blocks of {BlockSize} tokens")]
    private partial void LogStarted(double timeScale, int maxNumSeqs, int maxNumBatchedTokens, int numGpuBlocks, int blockSize);
}
