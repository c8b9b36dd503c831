using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;
using PatternOne.Scheduler.Metrics;
using PatternOne.Scheduler.Profiles;

namespace PatternOne.Scheduler;

internal sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
    {
        List<string> failures = [];
        foreach (var (key, port) in new[] { ("ExtProcPort", options.ExtProcPort), ("HealthPort", options.HealthPort), ("MetricsPort", options.MetricsPort) })
        {
            if (port is < 1 or > 65535)
            {
                failures.Add($"Scheduler:{key} must be a port number (1-65535); it is {port}.");
            }
        }

        if (new[] { options.ExtProcPort, options.HealthPort, options.MetricsPort }.Distinct().Count() != 3)
        {
            failures.Add("Scheduler:ExtProcPort, HealthPort and MetricsPort must differ.");
        }

        if (!string.IsNullOrWhiteSpace(options.ConfigFile))
        {
            if (!File.Exists(options.ConfigFile))
            {
                failures.Add($"Scheduler:ConfigFile '{options.ConfigFile}' does not exist.");
            }
            else
            {
                try
                {
                    SchedulerFactory.FromYaml(File.ReadAllText(options.ConfigFile));
                }
                catch (InvalidOperationException ex)
                {
                    failures.Add($"Scheduler:ConfigFile '{options.ConfigFile}': {ex.Message}");
                }
            }
        }
        else if (!BuiltInProfiles.Names.Contains(options.Profile))
        {
            failures.Add($"Scheduler:Profile '{options.Profile}' is not a built-in profile ({string.Join(", ", BuiltInProfiles.Names)}).");
        }

        if (options.InFlightTtl <= TimeSpan.Zero)
        {
            failures.Add($"Scheduler:InFlightTtl must be positive; it is {options.InFlightTtl}.");
        }

        if (string.IsNullOrWhiteSpace(options.ConfigFile) && !string.IsNullOrWhiteSpace(options.ConfigText))
        {
            try
            {
                SchedulerFactory.FromYaml(options.ConfigText);
            }
            catch (InvalidOperationException ex)
            {
                failures.Add($"Scheduler:ConfigText: {ex.Message}");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Tls.CertificatePath) && !File.Exists(options.Tls.CertificatePath))
        {
            failures.Add($"Scheduler:Tls:CertificatePath '{options.Tls.CertificatePath}' does not exist.");
        }

        if (!string.IsNullOrWhiteSpace(options.Tls.CertPath) &&
            !(File.Exists(Path.Combine(options.Tls.CertPath, "tls.crt")) && File.Exists(Path.Combine(options.Tls.CertPath, "tls.key"))))
        {
            failures.Add($"Scheduler:Tls:CertPath (--cert-path) '{options.Tls.CertPath}' holds no tls.crt and tls.key.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class InferencePoolOptionsValidator : IValidateOptions<InferencePoolOptions>
{
    public ValidateOptionsResult Validate(string? name, InferencePoolOptions options)
    {
        List<string> failures = [];
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            failures.Add("InferencePool:Name is required.");
        }

        if (options.TargetPort is < 1 or > 65535)
        {
            failures.Add($"InferencePool:TargetPort must be a port number (1-65535); it is {options.TargetPort}.");
        }

        if (options.Discovery == DiscoveryMode.Static)
        {
            foreach (var endpoint in options.Endpoints.Where(e => !EndpointAddress.IsValid(e.Trim())))
            {
                failures.Add($"InferencePool:Endpoints entry '{endpoint}' is not host:port.");
            }
        }
        else if (options.Discovery == DiscoveryMode.InferencePool)
        {
            if (options.Group is not (InferencePoolOptions.GroupV1 or InferencePoolOptions.GroupV1Alpha2))
            {
                failures.Add($"InferencePool:Group (--pool-group) '{options.Group}' is neither {InferencePoolOptions.GroupV1} nor {InferencePoolOptions.GroupV1Alpha2}.");
            }
        }
        else if (options.Selector.Count == 0)
        {
            failures.Add("InferencePool:Selector needs at least one label (InferencePool:Selector:<label>=<value>) with Kubernetes discovery.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class MetricsScrapeOptionsValidator : IValidateOptions<MetricsScrapeOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsScrapeOptions options) =>
        options.Interval < TimeSpan.FromMilliseconds(1) || options.Timeout <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Scheduler:Metrics:Interval must be at least 1 ms and Timeout positive.")
            : options.Scheme is not ("http" or "https")
                ? ValidateOptionsResult.Fail("Scheduler:Metrics:Scheme must be http or https.")
                : options.UnhealthyAfterFailures < 1
                    ? ValidateOptionsResult.Fail("Scheduler:Metrics:UnhealthyAfterFailures must be at least 1.")
                    : ValidateOptionsResult.Success;
}
