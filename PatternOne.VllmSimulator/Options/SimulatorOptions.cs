using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Faults;

namespace PatternOne.VllmSimulator.Options;

/// <summary>Everything the simulator process is configured with, parsed from vLLM-style flags.</summary>
public sealed record SimulatorOptions
{
    /// <summary>Default model: the seed's.</summary>
    public const string DefaultModel = "Qwen/Qwen2.5-3B-Instruct";

    /// <summary>What <c>/version</c> reports: the vLLM release the seed's TPU image (RHAIIS 3.2.x) is built on.</summary>
    public const string VllmVersion = "0.11.0";

    /// <summary>Address to listen on (<c>--host</c>). Default <c>0.0.0.0</c>, as vLLM.</summary>
    public string Host { get; init; } = "0.0.0.0";

    /// <summary>Port to listen on (<c>--port</c>). Default 8000, as vLLM.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>The model (<c>--model</c>, or vLLM's positional model). Default Qwen/Qwen2.5-3B-Instruct.</summary>
    public string Model { get; init; } = DefaultModel;

    /// <summary>Names the API answers to (<c>--served-model-name</c>, space separated); the first is the metrics'
    /// <c>model_name</c>. Default: the model.</summary>
    public IReadOnlyList<string> ServedModelNames { get; init; } = [DefaultModel];

    /// <summary>Report <c>usage.prompt_tokens_details.cached_tokens</c> (<c>--enable-prompt-tokens-details</c>). Default off, as vLLM.</summary>
    public bool EnablePromptTokensDetails { get; init; }

    /// <summary>Virtual seconds per real second (<c>--time-scale</c>). Default 1 (real time); 10 runs ten times faster.</summary>
    public double TimeScale { get; init; } = 1.0;

    /// <summary>
    /// After SIGTERM, how long in-flight requests may still finish (<c>--shutdown-timeout</c>, seconds, vLLM's flag since
    /// v0.18). Meanwhile <c>/health</c> answers 503 and the listener is closed; at the timeout a stream still open gets an error event
    /// then <c>[DONE]</c>, a non-streaming request a 503. Default 0, as vLLM: in-flight requests end at once.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>Seed for fault injection (<c>--seed</c>). Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>The engine (scheduler, KV pool, step-time model).</summary>
    public EngineOptions Engine { get; init; } = new();

    /// <summary>Fault injection (off by default).</summary>
    public FaultOptions Faults { get; init; } = new();

    /// <summary>Flags accepted for vLLM compatibility but not modelled, as given.</summary>
    public IReadOnlyList<string> IgnoredFlags { get; init; } = [];
}
