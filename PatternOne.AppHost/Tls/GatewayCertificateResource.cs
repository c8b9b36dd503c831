using System.Net;

namespace PatternOne.AppHost.Tls;

/// <summary>
/// The gateway's TLS certificate — the seed's cert-manager Certificate <c>inference-gateway-tls</c>. Locally it is
/// issued by <see cref="LocalCertificateAuthority"/>; when published it becomes cert-manager's issuer chain and a
/// Certificate whose Secret the gateway mounts.
/// </summary>
public sealed class GatewayCertificateResource(string name) : Resource(name)
{
    /// <summary>Namespace of the Certificate and its Secret (the gateway's, <c>opendatahub</c>).</summary>
    public string Namespace { get; set; } = "opendatahub";

    /// <summary>DNS names the certificate covers. Locally <c>localhost</c>; add the gateway's public name for a cluster.</summary>
    public List<string> DnsNames { get; } = ["localhost"];

    /// <summary>IP addresses the certificate covers (the seed's users call the LoadBalancer IP directly).</summary>
    public List<IPAddress> IpAddresses { get; } = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    /// <summary>The local CA and files, set in run mode.</summary>
    public LocalCertificateAuthority? LocalAuthority { get; internal set; }
}
