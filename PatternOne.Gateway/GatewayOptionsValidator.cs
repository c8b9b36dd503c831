using System.Net;
using Microsoft.Extensions.Options;
using PatternOne.Gateway.Endpoints;

namespace PatternOne.Gateway;

/// <summary>Rejects a configuration the gateway cannot serve, at start rather than on the first request.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        ValidateListeners(options, failures);
        ValidateTls(options.Tls, failures);
        var pools = ValidatePools(options, failures);
        ValidateRoutes(options, pools, failures);
        ValidateLimitsAndForwarding(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Ports in range and distinct; the bind address an IP address.</summary>
    private static void ValidateListeners(GatewayOptions options, List<string> failures)
    {
        foreach (var (key, port) in new[]
                 {
                     (nameof(options.HttpPort), options.HttpPort), (nameof(options.HttpsPort), options.HttpsPort),
                     (nameof(options.StatusPort), options.StatusPort), (nameof(options.MetricsPort), options.MetricsPort),
                 })
        {
            if (port is < 0 or > 65535)
            {
                failures.Add($"Gateway:{key} must be between 0 and 65535 (was {port}).");
            }
        }

        var fixedPorts = new[] { options.HttpPort, options.StatusPort, options.MetricsPort }
            .Concat(options.Tls.IsConfigured ? [options.HttpsPort] : [])
            .Where(p => p > 0)
            .ToList();
        if (fixedPorts.Count != fixedPorts.Distinct().Count())
        {
            failures.Add("Gateway:HttpPort, HttpsPort, StatusPort and MetricsPort must differ.");
        }

        if (options.BindAddress is { Length: > 0 } bind && !IPAddress.TryParse(bind, out _))
        {
            failures.Add($"Gateway:BindAddress '{bind}' is not an IP address.");
        }
    }

    /// <summary>Both PEM files or neither, and those given must exist.</summary>
    private static void ValidateTls(GatewayTlsOptions tls, List<string> failures)
    {
        if (tls.IsConfigured)
        {
            foreach (var (key, path) in new[] { ("CertificatePath", tls.CertificatePath), ("KeyPath", tls.KeyPath) })
            {
                if (string.IsNullOrWhiteSpace(path))
                {
                    failures.Add($"Gateway:Tls:{key} is required when the other TLS file is set.");
                }
                else if (!File.Exists(path))
                {
                    failures.Add($"Gateway:Tls:{key} '{path}' does not exist.");
                }
            }
        }
    }

    /// <summary>Each pool named once, with a picker URL or static endpoints; returns the pool names.</summary>
    private static HashSet<string> ValidatePools(GatewayOptions options, List<string> failures)
    {
        var pools = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Pools.Count; i++)
        {
            var pool = options.Pools[i];
            if (string.IsNullOrWhiteSpace(pool.Name) || !pools.Add(pool.Name))
            {
                failures.Add($"Gateway:Pools:{i}:Name must be set and unique.");
            }

            if (!string.IsNullOrWhiteSpace(pool.EndpointPicker)
                && (!Uri.TryCreate(pool.EndpointPicker, UriKind.Absolute, out var picker) || picker.Scheme is not ("http" or "https")))
            {
                failures.Add($"Gateway:Pools:{i}:EndpointPicker '{pool.EndpointPicker}' must be an http:// or https:// address.");
            }

            for (var e = 0; e < pool.Endpoints.Count; e++)
            {
                if (!EndpointAddress.TryParse(pool.Endpoints[e], out _))
                {
                    failures.Add($"Gateway:Pools:{i}:Endpoints:{e} '{pool.Endpoints[e]}' is not host:port.");
                }
            }

            if (string.IsNullOrWhiteSpace(pool.EndpointPicker) && pool.Endpoints.Count == 0)
            {
                failures.Add($"Gateway:Pools:{i} needs an EndpointPicker or at least one of Endpoints.");
            }

            if (pool.PickerTimeout <= TimeSpan.Zero || pool.ResponseHeadersTimeout < TimeSpan.Zero)
            {
                failures.Add($"Gateway:Pools:{i}:PickerTimeout must be positive and ResponseHeadersTimeout not negative.");
            }
        }

        return pools;
    }

    /// <summary>Each route a path prefix onto a configured pool.</summary>
    private static void ValidateRoutes(GatewayOptions options, HashSet<string> pools, List<string> failures)
    {
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = options.Routes[i];
            if (!route.PathPrefix.StartsWith('/'))
            {
                failures.Add($"Gateway:Routes:{i}:PathPrefix '{route.PathPrefix}' must start with '/'.");
            }

            if (!pools.Contains(route.Pool))
            {
                failures.Add($"Gateway:Routes:{i}:Pool '{route.Pool}' is not one of Gateway:Pools.");
            }
        }
    }

    /// <summary>Body limit, retries and timeouts.</summary>
    private static void ValidateLimitsAndForwarding(GatewayOptions options, List<string> failures)
    {
        if (options.Limits.MaxRequestBodySize <= 0)
        {
            failures.Add("Gateway:Limits:MaxRequestBodySize must be positive.");
        }

        if (options.Forwarding.MaxAttempts < 1)
        {
            failures.Add("Gateway:Forwarding:MaxAttempts must be at least 1.");
        }

        if (options.PickerWarmupTimeout < TimeSpan.Zero)
        {
            failures.Add("Gateway:PickerWarmupTimeout must not be negative.");
        }

        if (options.Forwarding.ActivityTimeout <= TimeSpan.Zero || options.Forwarding.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add("Gateway:Forwarding:ActivityTimeout and ConnectTimeout must be positive.");
        }

        if (options.Forwarding.HeadersTimeout < TimeSpan.Zero || options.Forwarding.UnresponsiveAfter < options.Forwarding.HealthCheckTimeout)
        {
            failures.Add("Gateway:Forwarding:HeadersTimeout must not be negative (zero turns it off) and UnresponsiveAfter must not be shorter than HealthCheckTimeout.");
        }
    }
}
