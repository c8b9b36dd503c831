using Microsoft.Extensions.Options;

namespace PatternOne.Gateway.Routing;

/// <summary>
/// Gateway API <c>PathPrefix</c> semantics: the prefix matches whole path segments, case-sensitively, so
/// <c>/a/b</c> matches <c>/a/b</c> and <c>/a/b/c</c> but not <c>/a/bc</c>; the longest prefix wins.
/// </summary>
internal sealed class RouteTable : IRouteTable
{
    private readonly GatewayRoute[] _routes;

    public RouteTable(IOptions<GatewayOptions> options)
        : this(options.Value.Routes)
    {
    }

    internal RouteTable(IEnumerable<GatewayRouteOptions> routes)
    {
        _routes = routes
            .Select(r => new GatewayRoute(Normalize(r.PathPrefix), r.Pool) { Label = r.PathPrefix, ExposeOperationalEndpoints = r.ExposeOperationalEndpoints })
            .OrderByDescending(r => r.PathPrefix.Length)
            .ToArray();
    }

    public bool TryMatch(PathString path, out RouteMatch match)
    {
        var value = path.Value ?? "";
        foreach (var route in _routes)
        {
            var prefix = route.PathPrefix;
            if (prefix.Length == 0)
            {
                // "/" as configured: every path, unchanged.
                match = new RouteMatch(route, PathString.Empty, value.Length == 0 ? "/" : path);
                return true;
            }

            if (!value.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (value.Length == prefix.Length)
            {
                match = new RouteMatch(route, prefix, "/");
                return true;
            }

            if (value[prefix.Length] == '/')
            {
                match = new RouteMatch(route, prefix, value[prefix.Length..]);
                return true;
            }
        }

        match = default;
        return false;
    }

    private static string Normalize(string prefix) => prefix.TrimEnd('/');
}
