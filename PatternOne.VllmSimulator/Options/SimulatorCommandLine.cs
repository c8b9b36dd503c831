using System.Globalization;
using PatternOne.VllmSimulator.Engine;
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

    /// <summary>Parses <paramref name="args"/>.</summary>
    public static CommandLineResult Parse(IReadOnlyList<string> args)
    {
        var errors = new List<string>();
        var ignored = new List<string>();
        var options = new SimulatorOptions();
        var engine = new EngineOptions();
        var step = new StepTimeModel();
        var faults = new FaultOptions();
        double? kvGib = null;
        string? model = null;
        List<string>? served = null;
        var help = false;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (model is null)
                {
                    model = arg; // vLLM's positional model (`vllm serve MODEL`)
                }
                else
                {
                    errors.Add($"Unexpected argument '{arg}'.");
                }

                continue;
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            name = name.Replace('_', '-'); // vLLM accepts --max_model_len too
            if (name == "served-model-name" && value is null)
            {
                served = [];
                while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    served.Add(args[++i]);
                }

                if (served.Count == 0)
                {
                    errors.Add("--served-model-name needs at least one name.");
                }

                continue;
            }

            if (value is null && !BooleanFlags.Contains(name) && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }

            switch (name)
            {
                case "help":
                    help = true;
                    break;
                case "model":
                    model = Required(name, value, errors);
                    break;
                case "served-model-name":
                    served = [.. (value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries)];
                    break;
                case "host":
                    options = options with { Host = Required(name, value, errors) ?? options.Host };
                    break;
                case "port":
                    options = options with { Port = Int(name, value, 1, 65535, errors) ?? options.Port };
                    break;
                case "max-model-len":
                    engine = engine with { MaxModelLen = Int(name, value, 2, int.MaxValue, errors, humanReadable: true) ?? engine.MaxModelLen };
                    break;
                case "max-num-seqs":
                    engine = engine with { MaxNumSeqs = Int(name, value, 1, 1_000_000, errors) ?? engine.MaxNumSeqs };
                    break;
                case "max-num-batched-tokens":
                    engine = engine with { MaxNumBatchedTokens = Int(name, value, 1, int.MaxValue, errors, humanReadable: true) ?? engine.MaxNumBatchedTokens };
                    break;
                case "block-size":
                    engine = engine with { BlockSize = Int(name, value, 1, 1024, errors) ?? engine.BlockSize };
                    break;
                case "num-gpu-blocks-override":
                    engine = engine with { NumGpuBlocks = Int(name, value, 2, 100_000_000, errors) ?? engine.NumGpuBlocks };
                    break;
                case "enable-prompt-tokens-details":
                    options = options with { EnablePromptTokensDetails = Bool(name, value, errors) };
                    break;
                case "no-enable-prompt-tokens-details":
                    options = options with { EnablePromptTokensDetails = false };
                    break;
                case "seed":
                    options = options with { Seed = Int(name, value, int.MinValue, int.MaxValue, errors) ?? options.Seed };
                    break;
                case "time-scale":
                    options = options with { TimeScale = Double(name, value, 1e-3, 1e6, errors) ?? options.TimeScale };
                    break;
                case "sim-step-base-ms":
                    step = step with { BaseMs = Double(name, value, 1e-6, 1e6, errors) ?? step.BaseMs };
                    break;
                case "sim-prefill-ms-per-token":
                    step = step with { PrefillMsPerToken = Double(name, value, 0, 1e6, errors) ?? step.PrefillMsPerToken };
                    break;
                case "sim-decode-ms-per-seq":
                    step = step with { DecodeMsPerSeq = Double(name, value, 0, 1e6, errors) ?? step.DecodeMsPerSeq };
                    break;
                case "sim-kv-cache-gib":
                    kvGib = Double(name, value, 1e-6, 1e6, errors);
                    break;
                case "sim-kv-bytes-per-token":
                    engine = engine with { KvBytesPerToken = Int(name, value, 1, int.MaxValue, errors) ?? engine.KvBytesPerToken };
                    break;
                case "sim-failure-rate":
                    faults = faults with { FailureRate = Double(name, value, 0, 100, errors) ?? faults.FailureRate };
                    break;
                case "sim-failure-kinds":
                    faults = faults with { Kinds = Kinds(value, errors) };
                    break;
                case "sim-failure-status":
                    faults = faults with { ErrorStatus = Int(name, value, 400, 599, errors) ?? faults.ErrorStatus };
                    break;
                case "sim-slow-start-seconds":
                    faults = faults with { SlowStartSeconds = Double(name, value, 0, 3600, errors) ?? faults.SlowStartSeconds };
                    break;
                case "sim-fault-header":
                    faults = faults with { AllowHeader = Bool(name, value, errors) };
                    break;
                default:
                    if (name.StartsWith("sim-", StringComparison.Ordinal))
                    {
                        errors.Add($"Unknown simulator flag --{name}. Run with --help for the list.");
                    }
                    else
                    {
                        ignored.Add(value is null ? $"--{name}" : $"--{name}={value}");
                    }

                    break;
            }
        }

        if (kvGib is { } gib)
        {
            engine = engine with { KvCacheMemoryBytes = (long)(gib * 1024 * 1024 * 1024) };
        }

        engine = engine with { StepTime = step };
        model ??= SimulatorOptions.DefaultModel;
        options = options with
        {
            Model = model,
            ServedModelNames = served is { Count: > 0 } ? served : [model],
            Engine = engine,
            Faults = faults,
            IgnoredFlags = ignored,
        };

        if (errors.Count == 0)
        {
            errors.AddRange(engine.Validate());
            if (!System.Net.IPAddress.TryParse(options.Host, out _) && options.Host is not ("localhost" or "*" or ""))
            {
                errors.Add($"--host must be an IP address or 'localhost', got '{options.Host}'.");
            }
        }

        return new CommandLineResult(options, errors, help);
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
}
