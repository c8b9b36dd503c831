using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace PatternOne.Gateway.Endpoints;

/// <summary>
/// A replica address as the endpoint picker writes it in <c>x-gateway-destination-endpoint</c>: <c>ip:port</c>
/// (<c>[v6]:port</c>), or <c>host:port</c> in the gateway's own configuration (a Kubernetes Service name).
/// </summary>
public sealed record EndpointAddress(string Host, int Port)
{
    /// <summary>The form the picker uses, and the Prometheus <c>upstream</c> label.</summary>
    public string Authority { get; } = Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>YARP destination prefix: plain HTTP, as Istio's gateway speaks to vLLM inside the cluster.</summary>
    public string DestinationPrefix => "http://" + Authority + "/";

    public override string ToString() => Authority;

    public static bool TryParse(string? value, [NotNullWhen(true)] out EndpointAddress? address)
    {
        address = null;
        value = value?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        if (IPEndPoint.TryParse(value, out var ip) && ip.Port > 0 && value.LastIndexOf(':') > value.LastIndexOf(']'))
        {
            address = new EndpointAddress(ip.Address.ToString(), ip.Port);
            return true;
        }

        // host:port — a DNS name is only accepted with a port and without anything a URL would add (scheme, path, user).
        var colon = value.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        var host = value[..colon];
        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            return false;
        }

        address = new EndpointAddress(host, port);
        return true;
    }
}
