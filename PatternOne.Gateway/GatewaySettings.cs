using System.Globalization;
using PatternOne.ServiceDefaults.Configuration;
using PatternOne.ServiceDefaults.Shutdown;

namespace PatternOne.Gateway;

/// <summary>
/// The gateway's configuration as the other parts write it (<see cref="ServiceSettings"/>). Every key is built from
/// <see cref="GatewayOptions"/>' own property names, so renaming an option is a compile error in every writer.
/// </summary>
public sealed record GatewaySettings : ServiceSettings
{
    public int? HttpPort { get; init; }

    public int? HttpsPort { get; init; }

    public int? StatusPort { get; init; }

    public int? MetricsPort { get; init; }

    public string? BindAddress { get; init; }

    public string? TlsCertificatePath { get; init; }

    public string? TlsKeyPath { get; init; }

    public IReadOnlyList<GatewayRouteSettings> Routes { get; init; } = [];

    public IReadOnlyList<GatewayPoolSettings> Pools { get; init; } = [];

    public long? MaxRequestBodySize { get; init; }

    /// <summary>Zero turns the periodic health probe of the pools' endpoints off.</summary>
    public TimeSpan? HealthCheckInterval { get; init; }

    public TimeSpan? HealthCheckTimeout { get; init; }

    /// <summary>How long a probe waits for any answer before the replica counts as hung.</summary>
    public TimeSpan? UnresponsiveAfter { get; init; }

    /// <summary>Longest wait for a replica's response headers (per try).</summary>
    public TimeSpan? HeadersTimeout { get; init; }

    /// <summary>Longest silence from a replica once it answered.</summary>
    public TimeSpan? ActivityTimeout { get; init; }

    /// <summary>After SIGTERM, how long in-flight requests may still finish (<see cref="GatewayOptions.DefaultDrainTimeout"/>).</summary>
    public TimeSpan? DrainTimeout { get; init; }

    /// <summary>Longest start-up wait for the pickers' warm-up answers before reporting ready; zero skips the warm-up.</summary>
    public TimeSpan? PickerWarmupTimeout { get; init; }

    protected override IEnumerable<KeyValuePair<string, string?>> Entries()
    {
        yield return Entry(Keys.HttpPort, Format(HttpPort));
        yield return Entry(Keys.HttpsPort, Format(HttpsPort));
        yield return Entry(Keys.StatusPort, Format(StatusPort));
        yield return Entry(Keys.MetricsPort, Format(MetricsPort));
        yield return Entry(Keys.BindAddress, BindAddress);
        yield return Entry(Keys.TlsCertificatePath, TlsCertificatePath);
        yield return Entry(Keys.TlsKeyPath, TlsKeyPath);
        yield return Entry(Keys.MaxRequestBodySize, Format(MaxRequestBodySize));
        yield return Entry(Keys.HealthCheckInterval, Format(HealthCheckInterval));
        yield return Entry(Keys.HealthCheckTimeout, Format(HealthCheckTimeout));
        yield return Entry(Keys.UnresponsiveAfter, Format(UnresponsiveAfter));
        yield return Entry(Keys.HeadersTimeout, Format(HeadersTimeout));
        yield return Entry(Keys.ActivityTimeout, Format(ActivityTimeout));
        yield return Entry(Keys.DrainTimeout, Format(DrainTimeout));
        yield return Entry(Keys.PickerWarmupTimeout, Format(PickerWarmupTimeout));
        for (var i = 0; i < Routes.Count; i++)
        {
            yield return Entry(Keys.RoutePathPrefix(i), Routes[i].PathPrefix);
            yield return Entry(Keys.RoutePool(i), Routes[i].Pool);
            yield return Entry(Keys.RouteExposeOperationalEndpoints(i), Format(Routes[i].ExposeOperationalEndpoints));
        }

        for (var i = 0; i < Pools.Count; i++)
        {
            var pool = Pools[i];
            yield return Entry(Keys.PoolName(i), pool.Name);
            yield return Entry(Keys.PoolEndpointPicker(i), pool.EndpointPicker);
            yield return Entry(Keys.PoolFailureMode(i), pool.FailureMode?.ToString());
            yield return Entry(Keys.PoolPickerTimeout(i), Format(pool.PickerTimeout));
            for (var e = 0; e < pool.Endpoints.Count; e++)
            {
                yield return Entry(Keys.PoolEndpoint(i, e), pool.Endpoints[e]);
            }
        }
    }

    /// <summary>The configuration keys, for writers that know a value only later (Aspire endpoints, references).</summary>
    public static class Keys
    {
        public const string Section = GatewayOptions.SectionName;
        public const string HttpPort = Section + ":" + nameof(GatewayOptions.HttpPort);
        public const string HttpsPort = Section + ":" + nameof(GatewayOptions.HttpsPort);
        public const string StatusPort = Section + ":" + nameof(GatewayOptions.StatusPort);
        public const string MetricsPort = Section + ":" + nameof(GatewayOptions.MetricsPort);
        public const string BindAddress = Section + ":" + nameof(GatewayOptions.BindAddress);
        public const string TlsCertificatePath = Section + ":" + nameof(GatewayOptions.Tls) + ":" + nameof(GatewayTlsOptions.CertificatePath);
        public const string TlsKeyPath = Section + ":" + nameof(GatewayOptions.Tls) + ":" + nameof(GatewayTlsOptions.KeyPath);
        public const string MaxRequestBodySize = Section + ":" + nameof(GatewayOptions.Limits) + ":" + nameof(GatewayLimitsOptions.MaxRequestBodySize);
        public const string HealthCheckInterval = Forwarding + nameof(GatewayForwardingOptions.HealthCheckInterval);
        public const string HealthCheckTimeout = Forwarding + nameof(GatewayForwardingOptions.HealthCheckTimeout);
        public const string UnresponsiveAfter = Forwarding + nameof(GatewayForwardingOptions.UnresponsiveAfter);
        public const string HeadersTimeout = Forwarding + nameof(GatewayForwardingOptions.HeadersTimeout);
        public const string ActivityTimeout = Forwarding + nameof(GatewayForwardingOptions.ActivityTimeout);
        public const string DrainTimeout = Section + ":" + nameof(DrainOptions.DrainTimeout);
        public const string PickerWarmupTimeout = Section + ":" + nameof(GatewayOptions.PickerWarmupTimeout);
        private const string Forwarding = Section + ":" + nameof(GatewayOptions.Forwarding) + ":";

        public static string RoutePathPrefix(int route) => Route(route) + nameof(GatewayRouteOptions.PathPrefix);

        public static string RoutePool(int route) => Route(route) + nameof(GatewayRouteOptions.Pool);

        public static string RouteExposeOperationalEndpoints(int route) => Route(route) + nameof(GatewayRouteOptions.ExposeOperationalEndpoints);

        public static string PoolName(int pool) => Pool(pool) + nameof(GatewayPoolOptions.Name);

        public static string PoolEndpointPicker(int pool) => Pool(pool) + nameof(GatewayPoolOptions.EndpointPicker);

        public static string PoolEndpoint(int pool, int endpoint) =>
            Pool(pool) + nameof(GatewayPoolOptions.Endpoints) + ":" + endpoint.ToString(CultureInfo.InvariantCulture);

        public static string PoolFailureMode(int pool) => Pool(pool) + nameof(GatewayPoolOptions.FailureMode);

        public static string PoolPickerTimeout(int pool) => Pool(pool) + nameof(GatewayPoolOptions.PickerTimeout);

        public static string PoolResponseHeadersTimeout(int pool) => Pool(pool) + nameof(GatewayPoolOptions.ResponseHeadersTimeout);

        public static string PoolPrestartPickerCalls(int pool) => Pool(pool) + nameof(GatewayPoolOptions.PrestartPickerCalls);

        private static string Route(int index) => $"{Section}:{nameof(GatewayOptions.Routes)}:{index.ToString(CultureInfo.InvariantCulture)}:";

        private static string Pool(int index) => $"{Section}:{nameof(GatewayOptions.Pools)}:{index.ToString(CultureInfo.InvariantCulture)}:";
    }
}

/// <summary>A path-prefix route of <see cref="GatewaySettings"/>.</summary>
public sealed record GatewayRouteSettings(string PathPrefix, string Pool)
{
    /// <summary>Whether the route passes vLLM's operational endpoints too (<see cref="GatewayRouteOptions.ExposeOperationalEndpoints"/>).</summary>
    public bool? ExposeOperationalEndpoints { get; init; }
}

/// <summary>A pool of <see cref="GatewaySettings"/>: its endpoint picker, its own view of the endpoints, its failure mode.</summary>
public sealed record GatewayPoolSettings(string Name)
{
    public string? EndpointPicker { get; init; }

    public IReadOnlyList<string> Endpoints { get; init; } = [];

    public FailureMode? FailureMode { get; init; }

    public TimeSpan? PickerTimeout { get; init; }
}
