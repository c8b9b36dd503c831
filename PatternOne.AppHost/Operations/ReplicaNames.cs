using PatternOne.AppHost.Inference;

namespace PatternOne.AppHost.Operations;

/// <summary>Maps the <c>ip:port</c> the scheduler and gateway speak to the replica's resource name the dashboard shows.</summary>
internal static class ReplicaNames
{
    /// <summary>The name of the replica listening on <paramref name="address"/>'s port, or the address itself.</summary>
    public static string ByAddress(VllmPoolResource pool, string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), out var port))
        {
            return address;
        }

        foreach (var replica in pool.ReplicaBuilders.Select(b => b.Resource))
        {
            var endpoint = replica.GetEndpoint(VllmPoolBuilderExtensions.ReplicaEndpointName);
            if (endpoint.IsAllocated && endpoint.Port == port)
            {
                return replica.Name;
            }
        }

        return address;
    }
}
