using System.Net;

namespace PatternOne.AppHost.Tls;

/// <summary>Builder extensions for the gateway's certificate.</summary>
public static class GatewayCertificateBuilderExtensions
{
    /// <summary>
    /// Adds the gateway certificate. In run mode the local CA issues it now, before any resource starts, so the
    /// gateway finds its files on first start; the dashboard shows where the CA certificate is for <c>curl --cacert</c>.
    /// </summary>
    public static IResourceBuilder<GatewayCertificateResource> AddGatewayCertificate(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, params string[] extraDnsNames)
    {
        var certificate = new GatewayCertificateResource(name);
        certificate.DnsNames.AddRange(extraDnsNames);

        var resource = builder.AddResource(certificate)
            .WithIconName("Certificate")
            .ExcludeFromManifest();
        if (!builder.ExecutionContext.IsRunMode)
        {
            return resource;
        }

        // Default <AppHost>/.patternone/tls; a relative directory is taken from the AppHost's folder, wherever the
        // process was started.
        var directory = Path.GetFullPath(
            builder.Configuration[AppHostSettings.Keys.TlsDirectory] ?? Path.Combine(".patternone", "tls"), builder.AppHostDirectory);
        var authority = new LocalCertificateAuthority(directory);
        authority.EnsureIssued(certificate.DnsNames, certificate.IpAddresses, DateTimeOffset.UtcNow);
        certificate.LocalAuthority = authority;

        return resource
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Certificate",
                State = KnownResourceStates.Running,
                Properties =
                [
                    new("tls.ca", authority.CaCertificatePath) { DisplayName = "CA certificate (curl --cacert)", IsHighlighted = true },
                    new("tls.certificate", authority.CertificatePath) { DisplayName = "Certificate chain" },
                    new("tls.key", authority.KeyPath) { DisplayName = "Private key" },
                    new("tls.dnsNames", string.Join(", ", certificate.DnsNames)) { DisplayName = "DNS names" },
                    new("tls.ipAddresses", string.Join(", ", certificate.IpAddresses.Select(a => a.ToString()))) { DisplayName = "IP addresses" },
                ],
            });
    }

    /// <summary>Adds IP addresses the certificate must cover.</summary>
    public static IResourceBuilder<GatewayCertificateResource> WithIpAddresses(
        this IResourceBuilder<GatewayCertificateResource> builder, params IPAddress[] addresses)
    {
        builder.Resource.IpAddresses.AddRange(addresses);
        return builder;
    }
}
