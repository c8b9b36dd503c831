
namespace PatternOne.Gateway.Routing;

/// <summary>The HTTPRoutes of the gateway: path prefix → pool, the prefix replaced by <c>/</c>.</summary>
public interface IRouteTable
{
    /// <summary>Finds the route with the longest prefix that <paramref name="path"/> falls under.</summary>
    bool TryMatch(PathString path, out RouteMatch match);
}

/// <summary>A configured route, its prefix normalized without the trailing slash.</summary>
public sealed record GatewayRoute(string PathPrefix, string Pool)
{
    /// <summary>The Prometheus <c>route</c> label: the prefix as configured.</summary>
    public required string Label { get; init; }

    /// <summary>Whether paths outside <see cref="PublicSurface"/> pass too.</summary>
    public bool ExposeOperationalEndpoints { get; init; }
}

/// <summary>The route a request matched and its path after <c>ReplacePrefixMatch: /</c>.</summary>
public readonly record struct RouteMatch(GatewayRoute Route, PathString MatchedPrefix, PathString RewrittenPath);
