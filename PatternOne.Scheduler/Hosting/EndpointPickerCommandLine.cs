using System.Globalization;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Metrics;
using PatternOne.ServiceDefaults.Shutdown;

namespace PatternOne.Scheduler.Hosting;

/// <summary>
/// The scheduler's command line is upstream's EPP command line (Gateway API Inference Extension
/// <c>cmd/epp/runner/runner.go</c>), so that a Deployment written for upstream's EPP — KServe's scheduler preset, the
/// GIE Helm chart — starts ours unchanged. Each flag sets the typed option it stands for:
/// <code>
///  --pool-name/--pool-namespace/--pool-group   InferencePool:Name/Namespace/Group, discovery from the InferencePool object
///  --endpoint-selector/--endpoint-target-ports InferencePool:Selector/TargetPorts, discovery of pods (no InferencePool)
///  --grpc-port/--grpc-health-port/--metrics-port  Scheduler:ExtProcPort/HealthPort/MetricsPort
///  --config-file/--config-text                 Scheduler:ConfigFile/ConfigText (EndpointPickerConfig)
///  --secure-serving, --cert-path               Scheduler:Tls:SecureServing/CertPath
///  --model-server-metrics-scheme               Scheduler:Metrics:Scheme
///  --drain-timeout                             Scheduler:DrainTimeout (DrainOptions, ServiceDefaults/Shutdown)
/// </code>
/// Go's flag syntax: <c>--flag value</c>, <c>--flag=value</c>, a single dash alike; booleans as <c>--flag</c> or
/// <c>--flag=false</c>. When any of these flags is given, upstream's defaults apply to the ones left out — in particular
/// <c>--secure-serving</c> is true and <c>--drain-timeout</c> 30s, as upstream. Configured the .NET way instead (environment, appsettings; what the
/// AppHost does locally), the options' own defaults apply (plaintext h2c). Upstream's logging flags are accepted and
/// ignored (logging is configured the .NET way). Arguments in .NET's own form (<c>--Section:Key=value</c>) pass through.
/// </summary>
public static class EndpointPickerCommandLine
{
    public const string PoolName = "pool-name";
    public const string PoolNamespace = "pool-namespace";
    public const string PoolGroup = "pool-group";
    public const string EndpointSelector = "endpoint-selector";
    public const string EndpointTargetPorts = "endpoint-target-ports";
    public const string GrpcPort = "grpc-port";
    public const string GrpcHealthPort = "grpc-health-port";
    public const string MetricsPort = "metrics-port";
    public const string ConfigFile = "config-file";
    public const string ConfigText = "config-text";
    public const string SecureServing = "secure-serving";
    public const string CertPath = "cert-path";
    public const string ModelServerMetricsScheme = "model-server-metrics-scheme";
    public const string DrainTimeout = "drain-timeout";

    private static readonly Dictionary<string, Action<string, Dictionary<string, string?>>> s_valued = new(StringComparer.Ordinal)
    {
        [PoolName] = (v, s) => { s[InferencePoolOptions.SectionName + ":Name"] = v; s[InferencePoolOptions.SectionName + ":Discovery"] = nameof(DiscoveryMode.InferencePool); },
        [PoolNamespace] = (v, s) => s[InferencePoolOptions.SectionName + ":Namespace"] = v,
        [PoolGroup] = (v, s) => s[InferencePoolOptions.SectionName + ":Group"] = v,
        [EndpointSelector] = SetSelector,
        [EndpointTargetPorts] = SetTargetPorts,
        [GrpcPort] = (v, s) => s[SchedulerOptions.SectionName + ":ExtProcPort"] = Port(GrpcPort, v),
        [GrpcHealthPort] = (v, s) => s[SchedulerOptions.SectionName + ":HealthPort"] = Port(GrpcHealthPort, v),
        [MetricsPort] = (v, s) => s[SchedulerOptions.SectionName + ":MetricsPort"] = Port(MetricsPort, v),
        [ConfigFile] = (v, s) => s[SchedulerOptions.SectionName + ":ConfigFile"] = v,
        [ConfigText] = (v, s) => s[SchedulerOptions.SectionName + ":ConfigText"] = v,
        [CertPath] = (v, s) => s[SchedulerOptions.SectionName + ":Tls:CertPath"] = v,
        [ModelServerMetricsScheme] = (v, s) => s[MetricsScrapeOptions.SectionName + ":Scheme"] = v is "http" or "https"
            ? v
            : throw new FormatException($"--{ModelServerMetricsScheme} must be http or https; it is '{v}'."),
        [DrainTimeout] = (v, s) => s[SchedulerOptions.SectionName + ":" + nameof(DrainOptions.DrainTimeout)] = GoDuration(DrainTimeout, v).ToString("c", CultureInfo.InvariantCulture),
    };

    private static readonly Dictionary<string, Action<bool, Dictionary<string, string?>>> s_booleans = new(StringComparer.Ordinal)
    {
        [SecureServing] = (v, s) => s[SchedulerOptions.SectionName + ":Tls:SecureServing"] = v ? "true" : "false",
    };

    /// <summary>Upstream flags we accept for compatibility and do not act on (logging is .NET's).</summary>
    private static readonly HashSet<string> s_ignoredValued = new(StringComparer.Ordinal)
    {
        "zap-encoder", "zap-log-level", "zap-stacktrace-level", "zap-time-encoding", "v",
    };

    private static readonly HashSet<string> s_ignoredBooleans = new(StringComparer.Ordinal) { "zap-devel" };

    /// <summary>Upstream's defaults, applied when its command line is used.</summary>
    private static readonly Dictionary<string, string?> s_upstreamDefaults = new(StringComparer.Ordinal)
    {
        [SchedulerOptions.SectionName + ":Tls:SecureServing"] = "true",
        [SchedulerOptions.SectionName + ":" + nameof(DrainOptions.DrainTimeout)] = TimeSpan.FromSeconds(30).ToString("c", CultureInfo.InvariantCulture),
    };

    /// <summary>The flags as configuration, and the arguments left for .NET's own command-line provider.</summary>
    public sealed record Result(IReadOnlyDictionary<string, string?> Settings, IReadOnlyList<string> RemainingArgs);

    /// <summary>Translates <paramref name="args"/>; throws <see cref="FormatException"/> with the reason on a bad flag.</summary>
    public static Result Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        List<string> remaining = [];
        var upstream = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg == "-" || arg == "--")
            {
                remaining.Add(arg);
                continue;
            }

            var body = arg.TrimStart('-');
            var (name, inline) = body.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0 ? (body[..eq], body[(eq + 1)..]) : (body, null);
            if (name.Contains(':', StringComparison.Ordinal) || name.Contains("__", StringComparison.Ordinal))
            {
                // .NET's form (--Scheduler:Profile=random, or --Scheduler:Profile random): its own provider reads it.
                remaining.Add(arg);
                if (inline is null && i + 1 < args.Count)
                {
                    remaining.Add(args[++i]);
                }

                continue;
            }

            if (s_booleans.TryGetValue(name, out var setBool) || s_ignoredBooleans.Contains(name))
            {
                var value = inline is null || ParseBool(name, inline);
                setBool?.Invoke(value, settings);
                upstream = true;
                continue;
            }

            if (!s_valued.TryGetValue(name, out var setValue) && !s_ignoredValued.Contains(name))
            {
                throw new FormatException($"Unknown flag '{arg}'. Flags: {string.Join(", ", s_valued.Keys.Concat(s_booleans.Keys).Order(StringComparer.Ordinal).Select(k => "--" + k))}.");
            }

            var text = inline ?? (i + 1 < args.Count ? args[++i] : throw new FormatException($"Flag '{arg}' needs a value."));
            setValue?.Invoke(text, settings);
            upstream = true;
        }

        if (upstream)
        {
            foreach (var (key, value) in s_upstreamDefaults)
            {
                settings.TryAdd(key, value);
            }
        }

        return new Result(settings, remaining);
    }

    /// <summary>
    /// A Go duration (<c>30s</c>, <c>1m30s</c>, <c>500ms</c>, <c>2h</c>); a plain number is taken as seconds.
    /// </summary>
    public static TimeSpan GoDuration(string flag, string value)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var total = TimeSpan.Zero;
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            var units = digits;
            while (units < rest.Length && char.IsAsciiLetter(rest[units]))
            {
                units++;
            }

            if (digits == 0 || units == digits ||
                !double.TryParse(rest[..digits], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                throw new FormatException($"--{flag} must be a duration such as 30s, 1m or 500ms; it is '{value}'.");
            }

            total += rest[digits..units] switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => throw new FormatException($"--{flag}: unknown unit in '{value}' (use ms, s, m or h)."),
            };
            rest = rest[units..];
        }

        return total;
    }

    private static bool ParseBool(string flag, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "t" => true,
        "false" or "0" or "f" => false,
        _ => throw new FormatException($"--{flag} is a boolean (true or false); it is '{value}'."),
    };

    private static string Port(string flag, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? value
            : throw new FormatException($"--{flag} must be a port number (1-65535); it is '{value}'.");

    /// <summary><c>app=vllm,tier=gpu</c> (upstream's label-selector form, equality only) into InferencePool:Selector.</summary>
    private static void SetSelector(string value, Dictionary<string, string?> settings)
    {
        foreach (var term in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = term.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].StartsWith('='))
            {
                throw new FormatException($"--{EndpointSelector} takes label=value pairs separated by commas; '{term}' is not one.");
            }

            settings[$"{InferencePoolOptions.SectionName}:Selector:{parts[0]}"] = parts[1];
        }

        settings[InferencePoolOptions.SectionName + ":Discovery"] = nameof(DiscoveryMode.Kubernetes);
    }

    private static void SetTargetPorts(string value, Dictionary<string, string?> settings)
    {
        var ports = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < ports.Length; i++)
        {
            settings[$"{InferencePoolOptions.SectionName}:TargetPorts:{i}"] = Port(EndpointTargetPorts, ports[i]);
        }
    }
}
