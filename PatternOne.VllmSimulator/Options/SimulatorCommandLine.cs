using System.Collections.Frozen;
using System.Globalization;
using PatternOne.VllmSimulator.Engine;
using PatternOne.ServiceDefaults.Shutdown;
using PatternOne.VllmSimulator.Faults;

namespace PatternOne.VllmSimulator.Options;

/// <summary>The outcome of parsing the command line.</summary>
/// <param name="Options">The options (meaningful only without errors).</param>
/// <param name="Errors">Every bad flag value, with a message saying what is expected.</param>
/// <param name="ShowHelp">True when <c>--help</c> was given.</param>
public sealed record CommandLineResult(SimulatorOptions Options, IReadOnlyList<string> Errors, bool ShowHelp);

/// <summary>
/// Parses vLLM's <c>vllm serve</c> / <c>api_server</c> flags (<c>--flag value</c> and <c>--flag=value</c>), plus the
/// simulator's own (<c>--time-scale</c>, <c>--sim-*</c>). Flags vLLM has but the simulator does not model are accepted
/// and listed in <see cref="SimulatorOptions.IgnoredFlags"/>, so a real vLLM command line starts the simulator.
/// </summary>
public static class SimulatorCommandLine
{
    /// <summary>Usage text for <c>--help</c>.</summary>
    public const string Usage = """
        PatternOne vLLM simulator: vLLM's OpenAI-compatible API and metrics over a simulated engine.

        vLLM flags:
          --model NAME                     model (default Qwen/Qwen2.5-3B-Instruct; also positional)
          --served-model-name N [N ...]    names the API answers to (default: the model)
          --host ADDR / --port N           listen address (default 0.0.0.0:8000)
          --max-model-len N                context window, prompt + completion (default 32768; 2k = 2000, 2K = 2048)
          --max-num-seqs N                 sequences per step (default 256)
          --max-num-batched-tokens N       token budget per step (default 1024, TPU v6e)
          --block-size N                   tokens per KV block (default 16)
          --num-gpu-blocks-override N      KV blocks (default: --sim-kv-cache-gib / block bytes = 99,618)
          --enable-prompt-tokens-details   report usage.prompt_tokens_details.cached_tokens
          --seed N                         seed for fault injection
          --shutdown-timeout N             after SIGTERM, seconds in-flight requests may still finish (default 0:
                                           end them at once, as vLLM); /health answers 503 meanwhile
          other vLLM flags (--dtype, --tensor-parallel-size, ...) are accepted and ignored

        Simulator flags:
          --time-scale X                   run X times faster than real time (default 1)
          --sim-step-base-ms X             step time base (default 9.0)
          --sim-prefill-ms-per-token X     step time per prefill token, a_p (default 0.008)
          --sim-decode-ms-per-seq X        step time per decoding sequence, a_d (default 0.08)
          --sim-kv-cache-gib X             KV memory per chip when --num-gpu-blocks-override is absent
                                           (default 27.36: 0.9 x 32 GiB TPU v6e HBM - Qwen2.5-3B weights / TP 4)
          --sim-kv-bytes-per-token N       KV bytes per token per chip (default 18432: Qwen2.5-3B bf16, 1 KV head per chip)
          --sim-failure-rate P             percent of requests that get a fault (default 0)
          --sim-failure-kinds K[,K]        error, disconnect, slow-start (default all)
          --sim-failure-status N           status of injected errors (default 503)
          --sim-slow-start-seconds X       delay of a slow start (default 2)
          --sim-fault-header               honour the x-sim-fault request header
        """;

    private static readonly HashSet<string> BooleanFlags = new(StringComparer.Ordinal)
    {
        "enable-prompt-tokens-details", "sim-fault-header", "help",
        // vLLM boolean flags commonly seen on command lines; they never take a value.
        "disable-log-requests", "disable-log-stats", "enforce-eager", "trust-remote-code", "enable-prefix-caching",
        "no-enable-prefix-caching", "enable-chunked-prefill", "no-enable-chunked-prefill", "disable-frontend-multiprocessing",
        "enable-auto-tool-choice", "enable-lora", "enable-request-id-headers", "enable-log-requests", "disable-uvicorn-access-log",
        "enable-force-include-usage", "disable-fastapi-docs", "enable-sleep-mode", "no-enable-prompt-tokens-details",
    };

    /// <summary>
    /// What each flag does to the options being built; a flag not in the table is vLLM's and ignored (or, named
    /// <c>--sim-*</c>, an error). <c>served-model-name</c> with separate values is read by <see cref="Parse"/> itself.
    /// </summary>
    private static readonly FrozenDictionary<string, Action<Draft, string, string?>> Flags = new Dictionary<string, Action<Draft, string, string?>>
    {
        ["help"] = (d, _, _) => d.Help = true,
        ["model"] = (d, n, v) => d.Model = Required(n, v, d.Errors),
        ["served-model-name"] = (d, _, v) => d.Served = [.. (v ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries)],
        ["host"] = (d, n, v) => d.Options = d.Options with { Host = Required(n, v, d.Errors) ?? d.Options.Host },
        ["port"] = (d, n, v) => d.Options = d.Options with { Port = Int(n, v, 1, 65535, d.Errors) ?? d.Options.Port },
        ["max-model-len"] = (d, n, v) => d.Engine = d.Engine with { MaxModelLen = Int(n, v, 2, int.MaxValue, d.Errors, humanReadable: true) ?? d.Engine.MaxModelLen },
        ["max-num-seqs"] = (d, n, v) => d.Engine = d.Engine with { MaxNumSeqs = Int(n, v, 1, 1_000_000, d.Errors) ?? d.Engine.MaxNumSeqs },
        ["max-num-batched-tokens"] = (d, n, v) => d.Engine = d.Engine with { MaxNumBatchedTokens = Int(n, v, 1, int.MaxValue, d.Errors, humanReadable: true) ?? d.Engine.MaxNumBatchedTokens },
        ["block-size"] = (d, n, v) => d.Engine = d.Engine with { BlockSize = Int(n, v, 1, 1024, d.Errors) ?? d.Engine.BlockSize },
        ["num-gpu-blocks-override"] = (d, n, v) => d.Engine = d.Engine with { NumGpuBlocks = Int(n, v, 2, 100_000_000, d.Errors) ?? d.Engine.NumGpuBlocks },
        ["enable-prompt-tokens-details"] = (d, n, v) => d.Options = d.Options with { EnablePromptTokensDetails = Bool(n, v, d.Errors) },
        ["no-enable-prompt-tokens-details"] = (d, _, _) => d.Options = d.Options with { EnablePromptTokensDetails = false },
        ["seed"] = (d, n, v) => d.Options = d.Options with { Seed = Int(n, v, int.MinValue, int.MaxValue, d.Errors) ?? d.Options.Seed },
        ["shutdown-timeout"] = (d, n, v) => d.Options = d.Options with
        {
            ShutdownTimeout = Int(n, v, 0, (int)DrainOptions.MaxDrainTimeout.TotalSeconds, d.Errors) is { } seconds ? TimeSpan.FromSeconds(seconds) : d.Options.ShutdownTimeout,
        },
        ["time-scale"] = (d, n, v) => d.Options = d.Options with { TimeScale = Double(n, v, 1e-3, 1e6, d.Errors) ?? d.Options.TimeScale },
        ["sim-step-base-ms"] = (d, n, v) => d.Step = d.Step with { BaseMs = Double(n, v, 1e-6, 1e6, d.Errors) ?? d.Step.BaseMs },
        ["sim-prefill-ms-per-token"] = (d, n, v) => d.Step = d.Step with { PrefillMsPerToken = Double(n, v, 0, 1e6, d.Errors) ?? d.Step.PrefillMsPerToken },
        ["sim-decode-ms-per-seq"] = (d, n, v) => d.Step = d.Step with { DecodeMsPerSeq = Double(n, v, 0, 1e6, d.Errors) ?? d.Step.DecodeMsPerSeq },
        ["sim-kv-cache-gib"] = (d, n, v) => d.KvGib = Double(n, v, 1e-6, 1e6, d.Errors),
        ["sim-kv-bytes-per-token"] = (d, n, v) => d.Engine = d.Engine with { KvBytesPerToken = Int(n, v, 1, int.MaxValue, d.Errors) ?? d.Engine.KvBytesPerToken },
        ["sim-failure-rate"] = (d, n, v) => d.Faults = d.Faults with { FailureRate = Double(n, v, 0, 100, d.Errors) ?? d.Faults.FailureRate },
        ["sim-failure-kinds"] = (d, _, v) => d.Faults = d.Faults with { Kinds = Kinds(v, d.Errors) },
        ["sim-failure-status"] = (d, n, v) => d.Faults = d.Faults with { ErrorStatus = Int(n, v, 400, 599, d.Errors) ?? d.Faults.ErrorStatus },
        ["sim-slow-start-seconds"] = (d, n, v) => d.Faults = d.Faults with { SlowStartSeconds = Double(n, v, 0, 3600, d.Errors) ?? d.Faults.SlowStartSeconds },
        ["sim-fault-header"] = (d, n, v) => d.Faults = d.Faults with { AllowHeader = Bool(n, v, d.Errors) },
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>.</summary>
    public static CommandLineResult Parse(IReadOnlyList<string> args)
    {
        var draft = new Draft();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!IsFlag(arg))
            {
                if (draft.Model is null)
                {
                    draft.Model = arg; // vLLM's positional model (`vllm serve MODEL`)
                }
                else
                {
                    draft.Errors.Add($"Unexpected argument '{arg}'.");
                }

                continue;
            }

            var (name, value) = Split(arg);
            if (name == "served-model-name" && value is null)
            {
                draft.Served = [];
                while (i + 1 < args.Count && !IsFlag(args[i + 1]))
                {
                    draft.Served.Add(args[++i]);
                }

                if (draft.Served.Count == 0)
                {
                    draft.Errors.Add("--served-model-name needs at least one name.");
                }

                continue;
            }

            if (value is null && !BooleanFlags.Contains(name) && i + 1 < args.Count && !IsFlag(args[i + 1]))
            {
                value = args[++i];
            }

            Apply(draft, name, value);
        }

        return draft.Build();
    }

    private static bool IsFlag(string arg) => arg.StartsWith("--", StringComparison.Ordinal);

    /// <summary><c>--name=value</c> or <c>--name</c>; vLLM accepts <c>--max_model_len</c> for <c>--max-model-len</c> too.</summary>
    private static (string Name, string? Value) Split(string arg)
    {
        var name = arg[2..];
        string? value = null;
        var eq = name.IndexOf('=', StringComparison.Ordinal);
        if (eq >= 0)
        {
            value = name[(eq + 1)..];
            name = name[..eq];
        }

        return (name.Replace('_', '-'), value);
    }

    private static void Apply(Draft draft, string name, string? value)
    {
        if (Flags.TryGetValue(name, out var apply))
        {
            apply(draft, name, value);
        }
        else if (name.StartsWith("sim-", StringComparison.Ordinal))
        {
            draft.Errors.Add($"Unknown simulator flag --{name}. Run with --help for the list.");
        }
        else
        {
            draft.Ignored.Add(value is null ? $"--{name}" : $"--{name}={value}");
        }
    }

    private static string? Required(string name, string? value, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"--{name} needs a value.");
            return null;
        }

        return value;
    }

    private static int? Int(string name, string? value, int min, int max, List<string> errors, bool humanReadable = false)
    {
        if (Required(name, value, errors) is not { } text)
        {
            return null;
        }

        long multiplier = 1;
        if (humanReadable && text.Length > 1)
        {
            // vLLM's human-readable sizes: k/m = ×1000, K/M = ×1024.
            multiplier = text[^1] switch { 'k' => 1000, 'K' => 1024, 'm' => 1_000_000, 'M' => 1024 * 1024, _ => 1 };
            if (multiplier != 1)
            {
                text = text[..^1];
            }
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            || parsed * multiplier < min || parsed * multiplier > max)
        {
            errors.Add($"--{name} must be an integer between {min} and {max}, got '{value}'.");
            return null;
        }

        return (int)(parsed * multiplier);
    }

    private static double? Double(string name, string? value, double min, double max, List<string> errors)
    {
        if (Required(name, value, errors) is not { } text)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            || double.IsNaN(parsed) || parsed < min || parsed > max)
        {
            errors.Add($"--{name} must be a number between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, got '{value}'.");
            return null;
        }

        return parsed;
    }

    private static bool Bool(string name, string? value, List<string> errors)
    {
        if (value is null)
        {
            return true;
        }

        if (bool.TryParse(value, out var parsed))
        {
            return parsed;
        }

        errors.Add($"--{name} takes no value, or true/false; got '{value}'.");
        return false;
    }

    private static List<FaultKind> Kinds(string? value, List<string> errors)
    {
        var kinds = new List<FaultKind>();
        foreach (var part in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (FaultInjector.TryParseKind(part, out var kind))
            {
                kinds.Add(kind);
            }
            else
            {
                errors.Add($"--sim-failure-kinds: unknown kind '{part}' (expected error, disconnect, slow-start).");
            }
        }

        if (kinds.Count == 0 && errors.Count == 0)
        {
            errors.Add("--sim-failure-kinds needs at least one of error, disconnect, slow-start.");
        }

        return kinds;
    }

    /// <summary>The options while flags are read, and what went wrong so far.</summary>
    private sealed class Draft
    {
        public SimulatorOptions Options { get; set; } = new();
        public EngineOptions Engine { get; set; } = new();
        public StepTimeModel Step { get; set; } = new();
        public FaultOptions Faults { get; set; } = new();
        public double? KvGib { get; set; }
        public string? Model { get; set; }
        public List<string>? Served { get; set; }
        public bool Help { get; set; }
        public List<string> Errors { get; } = [];
        public List<string> Ignored { get; } = [];

        public CommandLineResult Build()
        {
            var engine = Engine;
            if (KvGib is { } gib)
            {
                engine = engine with { KvCacheMemoryBytes = (long)(gib * 1024 * 1024 * 1024) };
            }

            engine = engine with { StepTime = Step };
            var model = Model ?? SimulatorOptions.DefaultModel;
            var options = Options with
            {
                Model = model,
                ServedModelNames = Served is { Count: > 0 } ? Served : [model],
                Engine = engine,
                Faults = Faults,
                IgnoredFlags = Ignored,
            };

            if (Errors.Count == 0)
            {
                Errors.AddRange(engine.Validate());
                if (!System.Net.IPAddress.TryParse(options.Host, out _) && options.Host is not ("localhost" or "*" or ""))
                {
                    Errors.Add($"--host must be an IP address or 'localhost', got '{options.Host}'.");
                }
            }

            return new CommandLineResult(options, Errors, Help);
        }
    }
}
